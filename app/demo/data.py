STREETS = [
    {"code": "lujiazui", "name_zh": "陆家嘴街道", "name_en": "Lujiazui Subdistrict", "district_zh": "浦东新区", "district_en": "Pudong New Area"},
]
def _members(n):
    roles = ["head", "deputy_head", "party_supervisor", "market_supervisor", "police_liaison", "fire_advisor"]
    return [{"role": r, "name_zh": f"成员{i}", "name_en": f"Member {i}", "org_zh": "物业", "org_en": "Property", "title_zh": "经理", "title_en": "Manager"} for i, r in enumerate(roles)]
_names = [("shanghai-tower","上海中心大厦","Shanghai Tower"),("jin-mao-tower","金茂大厦","Jin Mao Tower"),("swfc","上海环球金融中心","SWFC"),("ifc","上海国金中心","IFC"),("oriental-financial-plaza","东方金融广场","Oriental Financial Plaza"),("bank-of-shanghai-tower","上海银行大厦","Bank of Shanghai Tower"),("lujiazui-software-park","陆家嘴软件园","Lujiazui Software Park"),("jiaxing-building","嘉兴大厦","Jiaxing Building"),("cfic","中国金融信息中心","China Financial Information Center"),("jiadi-center","嘉地中心",""),("a","甲大厦","A Tower"),("b","乙大厦","B Tower")]
BUILDINGS = [{"slug": s, "name_zh": z, "name_en": e, "address_zh": "地址", "address_en": "", "street": "lujiazui", "floors": 30, "tenants": 100, "workers": 3000,
  "council": {"name_zh": z + "楼事会", "name_en": e + " Council", "founded": "2020-01-01", "intro_zh": "介绍", "intro_en": "Intro", "members": _members(6)}} for s, z, e in _names]
DEPARTMENTS = [{"code": c, "name_zh": f"部门{i}", "name_en": (f"Department {i}" if i else ""), "short_zh": f"部{i}", "short_en": f"D{i}", "phone": f"021-5888 01{i:02d}", "address_zh": "地址", "address_en": "Addr", "hours_zh": "工作日", "hours_en": "Weekdays"}
  for i, c in enumerate(["market", "tax", "police", "fire", "talent", "invest", "justice", "health", "union", "street-ljz", "housing", "urban", "party", "ecology", "commerce", "court", "hrss", "street-njx"])]
