"""Guide entries with known texts, made through the service layer (as staff would)."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.guide.services import create_entry
from app.org.models import Department

BASE = {
    "audience": "both", "status": "active", "is_free": True, "fee_zh": "不收费", "fee_en": "Free",
    "promised_days": 5, "legal_days": 20, "phone": "021-5888 0000",
    "location_zh": "楼宇党群服务站", "location_en": "Party and community service station",
    "hours_zh": "工作日 9:00–17:00", "hours_en": "Working days 9:00–17:00",
    "complaint_zh": "12345 市民服务热线", "complaint_en": "12345 citizen hotline",
    "legal_basis_zh": "《上海市居住证管理办法》", "legal_basis_en": "Shanghai Residence Permit Measures",
    "council_role_zh": "楼事会代收材料并跟进进度", "council_role_en": "The council collects the papers and follows up",
    "conditions": [{"zh": "在本楼宇工作", "en": "Working in this building"}],
    "materials": [{"name_zh": "身份证", "name_en": "ID card", "form": "copy", "copies": 1, "source_zh": "本人", "source_en": "Yourself", "template_url": ""}],
    "steps": [{"title_zh": "提交材料", "title_en": "Hand in the papers", "detail_zh": "到服务站提交", "detail_en": "At the service station"}],
    "last_reviewed_on": "2026-10-01",
}

ENTRIES = [
    ("hukou", "talent", "talent", "非上海生源应届毕业生落户申请", "Hukou for non-Shanghai graduates",
     "应届毕业生办理人才引进落户。", "Household registration for graduates hired in Shanghai."),
    ("fire-check", "fire", "fire", "装修工程消防安全检查", "Fire safety inspection of fit-outs",
     "开业前的消防检查。", "Fire inspections before a new office opens."),
    ("tax-setup", "tax", "business", "新办企业税务登记与发票申领", "Tax registration and invoices for new companies",
     "新设立企业的税务事项。", "Tax matters for newly registered companies."),
    ("parking-pass", "housing", "property", "地下车库停车月卡办理", "Monthly parking pass for the garage",
     "为在楼职工办理停车月卡。", "Monthly passes for employees who drive to work."),
    ("body-mention", "street-ljz", "party", "楼宇党群服务站活动预约", "Booking the community service station",
     "可预约场地，也可咨询落户政策。", "Book rooms; you can also ask about hukou policy here."),
    ("food-licence", "market", "market", "食品经营许可证办理", "Food business licence",
     "在楼宇内开设餐饮需办理许可。", "Needed to run a canteen or café in the building."),
]


def make_entries(app, extra: list[dict] | None = None, base: bool = True) -> dict[str, int]:
    ids = {}
    with app.app_context():
        depts = {d.code: d for d in db.session.scalars(sa.select(Department))}
        for slug, dept, category, tz, te, sz, se in ENTRIES if base else []:
            data = dict(BASE, slug=slug, department=depts[dept], category=category, title_zh=tz, title_en=te, summary_zh=sz, summary_en=se)
            ids[slug] = create_entry(data).id
        for row in extra or []:
            data = dict(BASE, **row)
            data["department"] = depts[data["department"]]
            ids[data["slug"]] = create_entry(data).id
        db.session.commit()
        db.session.remove()
    return ids
