ENTRIES = [
  {"slug": f"test-entry-{i}", "department": dept, "category": cat, "audience": "both",
   "title_zh": tz, "title_en": te, "summary_zh": sz, "summary_en": se,
   "council_role_zh": "楼事会代收材料", "council_role_en": "The council collects the materials",
   "conditions": [{"zh": "在本楼办公", "en": "Working in the building"}],
   "materials": [{"name_zh": "营业执照", "name_en": "Business licence", "form": "copy", "copies": 1, "source_zh": "企业自备", "source_en": "Your own", "template_url": ""}],
   "steps": [{"title_zh": "提交", "title_en": "Submit", "detail_zh": "到窗口提交", "detail_en": "At the counter"}],
   "promised_days": 5, "legal_days": 20, "is_free": True, "fee_zh": "不收费", "fee_en": "Free",
   "location_zh": "大堂", "location_en": "Lobby", "hours_zh": "工作日", "hours_en": "Weekdays", "phone": "021-5888 0000",
   "complaint_zh": "12345", "complaint_en": "12345", "legal_basis_zh": "《消防法》", "legal_basis_en": "Fire Law",
   "online_url": "", "last_reviewed": "2026-10-01", "status": "active"}
  for i, (dept, cat, tz, te, sz, se) in enumerate([
    ("talent", "talent", "非上海生源应届毕业生落户申请", "Hukou for graduates", "办理人才落户", "Household registration for graduates"),
    ("fire", "fire", "装修工程消防安全检查", "Fire safety inspection for fit-outs", "消防检查", "Fire check before opening"),
    ("tax", "business", "税务登记与发票申领", "Tax registration and invoices", "新办企业税务事项", "New companies' tax matters"),
    ("housing", "property", "地下车库停车月卡办理", "Monthly parking pass", "停车", "Parking in the garage"),
  ])
]
