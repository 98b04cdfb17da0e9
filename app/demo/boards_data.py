"""Demo council records: 楼务会 decisions, notices and events (one of them full, with a
waitlist).  Times are relative to the moment the demo is seeded."""

DECISIONS = [
    # building, days ago, topic zh/en, decision zh/en, follow-up zh/en, status
    ("shanghai-tower", 40, "早高峰门前停车秩序", "Morning parking at the entrance", "物业在北广场划设15分钟临停区，交警加强巡查。",
     "The property manager marks a 15-minute drop-off zone on the north plaza; traffic police patrol more often.", "物业负责，11月底前完成。", "Property manager, by the end of November.", "open"),
    ("shanghai-tower", 75, "暑托班", "Summer childcare class", "与浦东新区总工会合办暑托班，40个名额。", "Run a summer class with the Pudong trade unions, 40 places.",
     "已开班并完成。", "Held and completed.", "done"),
    ("jin-mao-tower", 20, "法律服务进楼宇", "Legal services in the building", "金茂律师事务所每月两次在党群服务站坐班。",
     "Jin Mao Law Office holds a clinic twice a month at the community station.", "首场12月3日。", "First session on 3 December.", "open"),
]

NOTICES = [
    ("shanghai-tower", 3, "消防演练通知", "Fire drill notice", "11月28日上午10点全楼消防演练，请配合疏散。",
     "Building-wide fire drill on 28 November at 10:00; please follow the evacuation."),
    ("shanghai-tower", 10, "楼事会接待日", "Council open day", "每周三中午12点至13点，楼事会在B1党群服务站接待。",
     "Every Wednesday 12:00–13:00 the council receives visitors at the B1 community station."),
    ("jin-mao-tower", 5, "电梯检修", "Lift maintenance", "高区电梯本周六停用检修。", "High-zone lifts are out of service this Saturday."),
]

EVENTS = [
    # building, days ahead, hours, title zh/en, description zh/en, place zh/en, seats, registrations
    ("shanghai-tower", 5, 2, "人才落户政策宣讲", "Talent residence policy briefing", "人才服务中心讲解最新落户政策并现场答疑。",
     "The talent service centre explains the latest residence rules and answers questions.", "B1 党群服务站", "B1 community station", 10, 13),
    ("shanghai-tower", 12, 1, "职工心理健康讲座", "Employee mental health talk", "东方医院心理科医生主讲。", "Given by a psychologist of East Hospital.",
     "36楼多功能厅", "Multi-purpose room, 36F", 40, 6),
    ("jin-mao-tower", 8, 2, "免费法律咨询日", "Free legal clinic", "律师一对一咨询，每人20分钟。", "One-to-one advice, 20 minutes each.",
     "金茂大厦 2 楼会议室", "Meeting room, 2F", 8, 3),
]
