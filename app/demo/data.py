"""Bilingual demo data: streets, 18 departments, 14 real office towers of Lujiazui and
Jing'an with their councils.  Buildings and streets are real; people and phone numbers
are fictional.  Deliberately without English, to show the fallback: the department
"ecology" (name/address/hours) and the building "jiaxing-building" (name/address)."""

from __future__ import annotations

STREETS = [
    {"code": "lujiazui", "name_zh": "陆家嘴街道", "name_en": "Lujiazui Subdistrict", "district_zh": "浦东新区", "district_en": "Pudong New Area"},
    {"code": "weifang", "name_zh": "潍坊新村街道", "name_en": "Weifang Xincun Subdistrict", "district_zh": "浦东新区", "district_en": "Pudong New Area"},
    {"code": "tangqiao", "name_zh": "塘桥街道", "name_en": "Tangqiao Subdistrict", "district_zh": "浦东新区", "district_en": "Pudong New Area"},
    {"code": "huamu", "name_zh": "花木街道", "name_en": "Huamu Subdistrict", "district_zh": "浦东新区", "district_en": "Pudong New Area"},
    {"code": "nanjingxilu", "name_zh": "南京西路街道", "name_en": "Nanjing West Road Subdistrict", "district_zh": "静安区", "district_en": "Jing'an District"},
    {"code": "jingansi", "name_zh": "静安寺街道", "name_en": "Jing'an Temple Subdistrict", "district_zh": "静安区", "district_en": "Jing'an District"},
]

WORKDAY_HOURS = ("工作日 9:00–17:00（12:00–13:00 午休）", "Working days 9:00–17:00 (closed 12:00–13:00)")

DEPARTMENTS = [
    {"code": "police", "name_zh": "上海市公安局浦东分局陆家嘴派出所", "name_en": "Lujiazui Police Station, Pudong Public Security Sub-bureau",
     "short_zh": "派出所", "short_en": "Police", "phone": "021-5878 0110", "address_zh": "浦东新区东昌路 2 号", "address_en": "2 Dongchang Road, Pudong",
     "hours_zh": "24 小时；户政窗口工作日 9:00–17:00", "hours_en": "24 hours; residence-registration counter working days 9:00–17:00"},
    {"code": "invest", "name_zh": "陆家嘴金融城发展局（企业服务中心）", "name_en": "Lujiazui Financial City Development Bureau (Enterprise Service Centre)",
     "short_zh": "金融城发展局", "short_en": "LFC Development Bureau", "phone": "021-5887 6600", "address_zh": "浦东新区陆家嘴环路 166 号", "address_en": "166 Lujiazui Ring Road, Pudong",
     "hours_zh": WORKDAY_HOURS[0], "hours_en": WORKDAY_HOURS[1]},
    {"code": "market", "name_zh": "浦东新区市场监督管理局（陆家嘴市场监管所）", "name_en": "Pudong Administration for Market Regulation (Lujiazui Office)",
     "short_zh": "市场监管局", "short_en": "Market Regulation", "phone": "021-5888 1234", "address_zh": "浦东新区浦东南路 1088 号", "address_en": "1088 Pudong South Road, Pudong",
     "hours_zh": WORKDAY_HOURS[0], "hours_en": WORKDAY_HOURS[1]},
    {"code": "fire", "name_zh": "浦东新区消防救援支队陆家嘴消防救援站", "name_en": "Lujiazui Fire and Rescue Station, Pudong Fire and Rescue Detachment",
     "short_zh": "消防救援站", "short_en": "Fire and Rescue", "phone": "021-5879 0119", "address_zh": "浦东新区银城东路 139 号", "address_en": "139 Yincheng East Road, Pudong",
     "hours_zh": "工作日 9:00–17:00；火警请拨 119", "hours_en": "Working days 9:00–17:00; for fires dial 119"},
    {"code": "talent", "name_zh": "浦东新区人才服务中心", "name_en": "Pudong Talent Service Centre",
     "short_zh": "人才服务中心", "short_en": "Talent Services", "phone": "021-5089 6800", "address_zh": "浦东新区合欢路 2 号", "address_en": "2 Hehuan Road, Pudong",
     "hours_zh": WORKDAY_HOURS[0], "hours_en": WORKDAY_HOURS[1]},
    {"code": "tax", "name_zh": "国家税务总局上海市浦东新区税务局", "name_en": "Pudong New Area Tax Service, State Taxation Administration",
     "short_zh": "税务局", "short_en": "Tax", "phone": "021-5821 2366", "address_zh": "浦东新区丁香路 1308 号", "address_en": "1308 Dingxiang Road, Pudong",
     "hours_zh": "工作日 9:00–17:00（不午休）", "hours_en": "Working days 9:00–17:00 (open at lunchtime)"},
    {"code": "justice", "name_zh": "陆家嘴街道司法所（公共法律服务工作站）", "name_en": "Lujiazui Justice Office (Public Legal Service Station)",
     "short_zh": "司法所", "short_en": "Legal Services", "phone": "021-5878 3148", "address_zh": "浦东新区浦城路 150 号", "address_en": "150 Pucheng Road, Pudong",
     "hours_zh": WORKDAY_HOURS[0], "hours_en": WORKDAY_HOURS[1]},
    {"code": "health", "name_zh": "陆家嘴社区卫生服务中心", "name_en": "Lujiazui Community Health Service Centre",
     "short_zh": "社区卫生中心", "short_en": "Community Health", "phone": "021-5882 0120", "address_zh": "浦东新区崂山路 301 号", "address_en": "301 Laoshan Road, Pudong",
     "hours_zh": "周一至周六 8:00–16:30", "hours_en": "Monday to Saturday 8:00–16:30"},
    {"code": "union", "name_zh": "陆家嘴街道总工会", "name_en": "Lujiazui Subdistrict Federation of Trade Unions",
     "short_zh": "街道总工会", "short_en": "Trade Union", "phone": "021-5887 2515", "address_zh": "浦东新区东园路 18 号", "address_en": "18 Dongyuan Road, Pudong",
     "hours_zh": WORKDAY_HOURS[0], "hours_en": WORKDAY_HOURS[1]},
    {"code": "street-ljz", "name_zh": "陆家嘴街道办事处（楼宇服务办）", "name_en": "Lujiazui Subdistrict Office (Building Services)",
     "short_zh": "陆家嘴街道", "short_en": "Lujiazui Subdistrict", "phone": "021-5878 8000", "address_zh": "浦东新区东园路 18 号", "address_en": "18 Dongyuan Road, Pudong",
     "hours_zh": WORKDAY_HOURS[0], "hours_en": WORKDAY_HOURS[1]},
    {"code": "housing", "name_zh": "浦东新区房屋管理局（物业管理科）", "name_en": "Pudong Housing Administration (Property Management Section)",
     "short_zh": "房管局", "short_en": "Housing", "phone": "021-5836 7200", "address_zh": "浦东新区世纪大道 2001 号", "address_en": "2001 Century Avenue, Pudong",
     "hours_zh": WORKDAY_HOURS[0], "hours_en": WORKDAY_HOURS[1]},
    {"code": "urban", "name_zh": "浦东新区城市管理行政执法局陆家嘴中队", "name_en": "Lujiazui Team, Pudong Urban Management and Law Enforcement Bureau",
     "short_zh": "城管中队", "short_en": "Urban Management", "phone": "021-5878 5890", "address_zh": "浦东新区商城路 518 号", "address_en": "518 Shangcheng Road, Pudong",
     "hours_zh": WORKDAY_HOURS[0], "hours_en": WORKDAY_HOURS[1]},
    {"code": "party", "name_zh": "陆家嘴金融城党工委（楼宇党建服务中心）", "name_en": "Lujiazui Financial City Party Working Committee (Building Party Service Centre)",
     "short_zh": "金融城党工委", "short_en": "Party Committee", "phone": "021-5887 7171", "address_zh": "浦东新区陆家嘴环路 166 号", "address_en": "166 Lujiazui Ring Road, Pudong",
     "hours_zh": WORKDAY_HOURS[0], "hours_en": WORKDAY_HOURS[1]},
    # no English yet (fallback demo)
    {"code": "ecology", "name_zh": "浦东新区生态环境局", "name_en": "",
     "short_zh": "生态环境局", "short_en": "", "phone": "021-5854 0600", "address_zh": "浦东新区浦东大道 141 号", "address_en": "",
     "hours_zh": WORKDAY_HOURS[0], "hours_en": ""},
    {"code": "commerce", "name_zh": "浦东新区商务委员会", "name_en": "Pudong Commission of Commerce",
     "short_zh": "商务委", "short_en": "Commerce", "phone": "021-5878 8811", "address_zh": "浦东新区世纪大道 2001 号", "address_en": "2001 Century Avenue, Pudong",
     "hours_zh": WORKDAY_HOURS[0], "hours_en": WORKDAY_HOURS[1]},
    {"code": "court", "name_zh": "浦东新区人民法院陆家嘴诉调对接工作站", "name_en": "Lujiazui Litigation–Mediation Station, Pudong People's Court",
     "short_zh": "诉调对接站", "short_en": "Court Mediation", "phone": "021-5831 1234", "address_zh": "浦东新区丁香路 611 号", "address_en": "611 Dingxiang Road, Pudong",
     "hours_zh": WORKDAY_HOURS[0], "hours_en": WORKDAY_HOURS[1]},
    {"code": "hrss", "name_zh": "浦东新区人力资源和社会保障局（就业和社保服务）", "name_en": "Pudong Human Resources and Social Security Bureau (Employment and Social Insurance)",
     "short_zh": "人社局", "short_en": "HR and Social Security", "phone": "021-5878 2233", "address_zh": "浦东新区合欢路 2 号", "address_en": "2 Hehuan Road, Pudong",
     "hours_zh": WORKDAY_HOURS[0], "hours_en": WORKDAY_HOURS[1]},
    {"code": "street-njx", "name_zh": "静安区南京西路街道办事处", "name_en": "Nanjing West Road Subdistrict Office, Jing'an",
     "short_zh": "南京西路街道", "short_en": "Nanjing W. Rd Subdistrict", "phone": "021-6247 1100", "address_zh": "静安区铜仁路 258 号", "address_en": "258 Tongren Road, Jing'an",
     "hours_zh": WORKDAY_HOURS[0], "hours_en": WORKDAY_HOURS[1]},
]

# Fictional people for the rosters: (Chinese, English) names.
_PEOPLE = [
    ("王建国", "Wang Jianguo"), ("李慧敏", "Li Huimin"), ("张伟", "Zhang Wei"), ("陈静", "Chen Jing"), ("刘洋", "Liu Yang"),
    ("杨帆", "Yang Fan"), ("赵磊", "Zhao Lei"), ("黄丽", "Huang Li"), ("周涛", "Zhou Tao"), ("吴婷", "Wu Ting"),
    ("徐明", "Xu Ming"), ("孙悦", "Sun Yue"), ("胡斌", "Hu Bin"), ("朱琳", "Zhu Lin"), ("高翔", "Gao Xiang"),
    ("林晓", "Lin Xiao"), ("何超", "He Chao"), ("郭芳", "Guo Fang"), ("马骏", "Ma Jun"), ("罗雪", "Luo Xue"),
    ("梁志强", "Liang Zhiqiang"), ("宋佳", "Song Jia"), ("郑浩", "Zheng Hao"), ("谢颖", "Xie Ying"), ("韩冰", "Han Bing"),
    ("唐雯", "Tang Wen"), ("冯凯", "Feng Kai"), ("于洁", "Yu Jie"), ("董鹏", "Dong Peng"), ("萧然", "Xiao Ran"),
]


def _roster(i: int, property_zh: str, property_en: str, tenant_zh: str, tenant_en: str) -> list[dict]:
    people = [_PEOPLE[(i * 7 + k) % len(_PEOPLE)] for k in range(7)]
    seats = [
        ("head", property_zh + "党支部", property_en + " Party branch", "党支部书记、总经理", "Party branch secretary and general manager"),
        ("deputy_head", "陆家嘴金融城发展局", "Lujiazui Financial City Development Bureau", "经济服务专员", "Economic service officer"),
        ("party_supervisor", "陆家嘴金融城党工委", "Lujiazui Financial City Party Working Committee", "楼宇党建督导员", "Building party-building supervisor"),
        ("market_supervisor", "浦东新区市场监管局陆家嘴所", "Lujiazui Office, Pudong Market Regulation", "监管员", "Inspector"),
        ("police_liaison", "陆家嘴派出所", "Lujiazui Police Station", "社区民警", "Community police officer"),
        ("fire_advisor", "陆家嘴消防救援站", "Lujiazui Fire and Rescue Station", "防火监督员", "Fire-prevention inspector"),
        ("member", tenant_zh, tenant_en, "行政总监、企业代表", "Head of administration, tenant representative"),
    ]
    return [
        {"role": role, "name_zh": people[k][0], "name_en": people[k][1], "org_zh": org_zh, "org_en": org_en, "title_zh": t_zh, "title_en": t_en}
        for k, (role, org_zh, org_en, t_zh, t_en) in enumerate(seats)
    ]


def _building(i, slug, name_zh, name_en, address_zh, address_en, street, floors, tenants, workers, founded, intro_zh, intro_en,
              property_zh, property_en, tenant_zh, tenant_en):
    return {
        "slug": slug, "name_zh": name_zh, "name_en": name_en, "address_zh": address_zh, "address_en": address_en,
        "street": street, "floors": floors, "tenants": tenants, "workers": workers,
        "council": {
            "name_zh": f"{name_zh}楼事会", "name_en": f"{name_en} Building Affairs Council" if name_en else "",
            "founded": founded, "intro_zh": intro_zh, "intro_en": intro_en,
            "members": _roster(i, property_zh, property_en, tenant_zh, tenant_en),
        },
    }


BUILDINGS = [
    _building(0, "shanghai-tower", "上海中心大厦", "Shanghai Tower", "浦东新区银城中路 501 号", "501 Yincheng Middle Road, Pudong", "lujiazui", 127, 420, 16000, "2019-06-18",
              "楼事会把 22 层的党群服务站办成了“垂直社区”客厅：暑期为职工子女开办暑托班，联合东方医院开展年度职工体检，并推动解决了大厦东门网约车临停秩序问题。",
              "The council turned the Party and community service station on level 22 into the living room of a vertical community: a summer class for employees' children, annual health checks with Shanghai East Hospital, and an end to the ride-hailing jam at the east gate.",
              "上海中心大厦建设发展有限公司", "Shanghai Tower Construction and Development Co.", "某国际律师事务所上海代表处", "An international law firm's Shanghai office"),
    _building(1, "jin-mao-tower", "金茂大厦", "Jin Mao Tower", "浦东新区世纪大道 88 号", "88 Century Avenue, Pudong", "lujiazui", 88, 300, 10000, "2019-09-02",
              "围绕企业扩租和人才公寓需求，楼事会每月举办一次政策解读会，并联合物业开通了非机动车充电区。",
              "Prompted by tenants expanding and looking for talent apartments, the council holds a monthly policy briefing and opened an e-bike charging area with the property manager.",
              "中国金茂物业服务有限公司", "China Jinmao Property Services", "某外资银行上海分行", "A foreign bank's Shanghai branch"),
    _building(2, "swfc", "上海环球金融中心", "Shanghai World Financial Center", "浦东新区世纪大道 100 号", "100 Century Avenue, Pudong", "lujiazui", 101, 350, 12000, "2019-11-20",
              "楼事会组织“午间法律门诊”，司法所律师每周二驻楼答疑；暴雨季前与物业联合排查地库积水点。",
              "The council runs a lunchtime legal clinic with a lawyer from the justice office every Tuesday, and checks the basement for flood-prone spots with the property manager before the rainy season.",
              "森大厦（上海）有限公司", "Mori Building (Shanghai) Co.", "某日资证券公司", "A Japanese securities firm"),
    _building(3, "ifc", "上海国金中心", "Shanghai IFC", "浦东新区世纪大道 8 号", "8 Century Avenue, Pudong", "lujiazui", 58, 260, 11000, "2020-03-12",
              "针对外籍员工多的特点，楼事会开设外籍人才工作许可和居留咨询专场，并整理了中英文双语的办事清单。",
              "Many employees here are foreign nationals, so the council holds sessions on work permits and residence, and keeps a bilingual checklist of procedures.",
              "上海国金中心物业管理有限公司", "Shanghai IFC Property Management", "某国际资产管理公司", "An international asset manager"),
    _building(4, "oriental-financial-plaza", "东方金融广场", "Oriental Financial Plaza", "浦东新区松林路 300 号", "300 Songlin Road, Pudong", "weifang", 46, 180, 7000, "2020-07-01",
              "楼事会联合银行提供一层共享会议空间，举办青年职工联谊和心理健康讲座。",
              "With a bank that lends a floor, the council offers shared meeting space and hosts socials for young employees and talks on mental health.",
              "东方金融广场物业服务中心", "Oriental Financial Plaza Property Services", "某城市商业银行", "A city commercial bank"),
    _building(5, "bank-of-shanghai-tower", "上海银行大厦", "Bank of Shanghai Tower", "浦东新区银城中路 168 号", "168 Yincheng Middle Road, Pudong", "lujiazui", 46, 90, 5000, "2020-05-20",
              "楼事会推动楼宇周边非机动车停放整治，并在大堂设立“一口受理”咨询台。",
              "The council sorted out bicycle and e-bike parking around the building and set up a one-stop enquiry desk in the lobby.",
              "上海银行物业管理部", "Bank of Shanghai Property Department", "某金融科技公司", "A fintech company"),
    _building(6, "lujiazui-software-park", "陆家嘴软件园", "Lujiazui Software Park", "浦东新区峨山路 91 弄", "Lane 91 Eshan Road, Pudong", "tangqiao", 12, 160, 6000, "2021-01-15",
              "园区楼事会为中小科技企业对接资金专项支持和知识产权服务，开设“人才服务直通车”。",
              "The park's council connects small tech firms with funding programmes and intellectual-property services, and runs a talent-services express desk.",
              "陆家嘴软件园管理有限公司", "Lujiazui Software Park Management", "某软件外包企业", "A software outsourcing firm"),
    # no English yet (fallback demo)
    _building(7, "jiaxing-building", "嘉兴大厦", "", "浦东新区东方路 877 号", "", "weifang", 28, 120, 3500, "2021-04-08",
              "老楼宇楼事会牵头协调电梯更新和消防设施改造，每季度开展一次消防演练。",
              "",
              "嘉兴大厦物业管理处", "Jiaxing Building Property Office", "某会计师事务所", "An accounting firm"),
    _building(8, "china-financial-information-center", "中国金融信息中心", "China Financial Information Center", "浦东新区东园路 18 号", "18 Dongyuan Road, Pudong", "lujiazui", 16, 70, 2500, "2021-06-30",
              "楼事会承办金融城政策发布会，为入驻企业提供证照办理和招商对接的一站式服务。",
              "The council hosts Financial City policy launches and gives tenants one-stop help with licences and investment matchmaking.",
              "新华金融信息中心物业部", "Xinhua Financial Information Center Property", "某财经媒体", "A financial news agency"),
    _building(9, "jiadi-center", "嘉地中心", "Jiadi Center", "浦东新区东育路 255 弄", "Lane 255 Dongyu Road, Pudong", "tangqiao", 40, 110, 4500, "2022-03-18",
              "新建楼宇楼事会在入驻期集中办理企业注册和税务登记辅导，并开设职工子女暑托班。",
              "In a newly opened tower, the council ran registration and tax-set-up clinics for arriving firms, and a summer class for employees' children.",
              "嘉地中心物业管理有限公司", "Jiadi Center Property Management", "某跨国制药企业", "A multinational pharmaceutical company"),
    _building(10, "bocom-financial-tower", "交银金融大厦", "BoCom Financial Tower", "浦东新区银城中路 188 号", "188 Yincheng Middle Road, Pudong", "lujiazui", 55, 130, 6000, "2020-10-10",
              "楼事会建立企业合规“体检”机制，市场监管员定期上门讲解广告和价格合规要点。",
              "The council set up compliance check-ups: the market-regulation officer visits regularly to explain advertising and pricing rules.",
              "交银物业管理部", "BoCom Property Department", "某保险资管公司", "An insurance asset manager"),
    _building(11, "hang-seng-bank-tower", "恒生银行大厦", "Hang Seng Bank Tower", "浦东新区陆家嘴环路 1000 号", "1000 Lujiazui Ring Road, Pudong", "lujiazui", 47, 100, 4000, "2020-12-01",
              "楼事会与工会合作开展“关爱职工”行动，为加班员工提供夜间健康驿站。",
              "With the trade union, the council runs a care programme for employees, including an evening health corner for those working late.",
              "恒生银行大厦物业服务处", "Hang Seng Bank Tower Property Services", "某港资银行", "A Hong Kong bank"),
    _building(12, "jing-an-kerry-centre", "静安嘉里中心", "Jing An Kerry Centre", "静安区南京西路 1515 号", "1515 Nanjing West Road, Jing'an", "nanjingxilu", 60, 280, 12000, "2019-08-15",
              "南京西路街道楼事会推行“楼宇管家”制度，职工诉求 24 小时内有回应。",
              "The Nanjing West Road council runs a building-steward scheme: every employee request gets an answer within 24 hours.",
              "嘉里物业管理服务（上海）有限公司", "Kerry Property Management Services (Shanghai)", "某国际咨询公司", "An international consultancy"),
    _building(13, "plaza-66", "恒隆广场", "Plaza 66", "静安区南京西路 1266 号", "1266 Nanjing West Road, Jing'an", "nanjingxilu", 66, 220, 9000, "2020-01-06",
              "楼事会协调周边道路停车秩序，并组织垃圾分类和绿色办公倡议。",
              "The council coordinates parking on the surrounding streets and organises waste sorting and green-office campaigns.",
              "恒隆地产物业管理部", "Hang Lung Properties Property Management", "某奢侈品集团中国总部", "A luxury group's China headquarters"),
]
