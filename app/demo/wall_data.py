"""Demo wish wall: resources on offer (资源清单) and wishes in every state.

Resources: key, building (None = district-wide), org zh/en, offer zh/en.
Wishes: key, building, text, language, display name, status, progress, supporters,
reports, days ago, claim (resource key, plan, result) or None, project title zh/en or None.
"""

RESOURCES = [
    ("east-hospital", None, "东方医院", "Shanghai East Hospital", "进楼体检、健康讲座", "On-site health checks and health talks"),
    ("bank-floor", "shanghai-tower", "浦发银行上海中心支行", "SPD Bank, Shanghai Tower branch", "免费提供一层活动场地", "A free floor for community events"),
    ("law-firm", "jin-mao-tower", "金茂律师事务所", "Jin Mao Law Office", "每月两次免费法律咨询", "Free legal consultations twice a month"),
    ("union", None, "浦东新区总工会", "Pudong Federation of Trade Unions", "暑托班、职工关爱活动", "Summer childcare classes and employee care"),
    ("property-sh", "shanghai-tower", "上海中心物业管理处", "Shanghai Tower property management", "楼内设施改造与停车协调", "Building fixes and parking arrangements"),
    ("property-ofp", "oriental-financial-plaza", "东方金融广场物业", "Oriental Financial Plaza property management", "设施维修与改造", "Repairs and improvements"),
    ("talent-centre", None, "陆家嘴人才服务中心", "Lujiazui Talent Service Centre", "人才政策宣讲进楼宇", "Talent policy briefings in buildings"),
]

WISHES = [
    ("demo-wish-01", "shanghai-tower", "希望暑假能有暑托班，孩子放在楼附近，安心上班。", "zh", "宝妈小李", "approved", "fulfilled", 86, 0, 90,
     ("union", "与总工会合办暑托班，7月开班，40个名额。", "暑托班已开班，共服务42名职工子女。"), ("楼宇暑托班", "Building summer childcare class")),
    ("demo-wish-02", "shanghai-tower", "Free health checks in the building would save us a half-day off work.", "en", "", "approved", "claimed", 54, 0, 30,
     ("east-hospital", "东方医院11月进楼体检，需提前预约。", None), None),
    ("demo-wish-03", "shanghai-tower", "门口早高峰停车太乱了，希望能规划一下临时停车位。", "zh", "", "approved", "open", 37, 0, 12, None, None),
    ("demo-wish-04", "jin-mao-tower", "想听一场关于人才落户新政的讲座。", "zh", "金茂打工人", "approved", "fulfilled", 41, 0, 60,
     ("talent-centre", "人才服务中心安排政策宣讲。", "10月15日在28楼举办人才政策讲座，到场120人。"), None),
    ("demo-wish-05", "jin-mao-tower", "Could we get regular free legal clinics for small firms?", "en", "Startup founder", "approved", "claimed", 22, 0, 20,
     ("law-firm", "每月第一、三周周三下午在党群服务站坐班。", None), ("楼宇法律服务角", "Building legal clinic")),
    ("demo-wish-06", "swfc", "午休时间希望有一个安静的休息区。", "zh", "", "approved", "open", 65, 0, 8, None, None),
    ("demo-wish-07", "ifc", "希望楼里能开设羽毛球兴趣小组，周末一起打球。", "zh", "羽毛球爱好者", "approved", "open", 12, 0, 5, None, None),
    ("demo-wish-08", "shanghai-tower", "希望食堂增加素食窗口。", "zh", "", "pending", "open", 0, 0, 1, None, None),
    ("demo-wish-09", "shanghai-tower", "Please add more bike parking near Exit 6 of the metro.", "en", "", "pending", "open", 0, 0, 0, None, None),
    ("demo-wish-10", "shanghai-tower", "加微信领取高额回报投资理财名额！", "zh", "", "pending", "open", 0, 0, 0, None, None),
    ("demo-wish-11", "jin-mao-tower", "希望电梯高峰时段能分区运行。", "zh", "", "approved", "open", 9, 2, 3, None, None),
    ("demo-wish-12", "shanghai-tower", "某某公司老板欠薪不还，大家小心！", "zh", "", "hidden", "open", 3, 3, 6, None, None),
    ("demo-wish-13", "swfc", "希望有免费的咖啡。", "zh", "", "rejected", "open", 0, 0, 15, None, None),
    ("demo-wish-14", "oriental-financial-plaza", "雨天大门口积水，希望能加装排水。", "zh", "", "approved", "fulfilled", 48, 0, 75,
     ("property-ofp", "物业联系市政部门疏通排水。", "已加装排水沟，雨天不再积水。"), None),
]
