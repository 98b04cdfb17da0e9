""""Also searched as" for the demo guide entries: slug → (Chinese phrases, English phrases).

These are the words people actually type — 口语, old names, abbreviations, the problem as
a person says it ("电梯坏了", not "电梯安全隐患报告") — not a copy of the title.  Pinyin
(shebao, hukou) comes from the tokenizer on its own.  See docs/guide/keywords.md for how
they are indexed and how to write good ones.  Kept apart from guide_data.py so the entries
and their keywords can be edited independently; ``seed-demo`` applies them."""

from __future__ import annotations

KEYWORDS: dict[str, tuple[str, str]] = {
    # --- 人才服务 talent -----------------------------------------------------------------
    "graduate-hukou": (
        "应届生落户、毕业生落户、应届生户口、毕业生户口、留沪落户、打分落户、应届生进沪、上海户籍",
        "hukou for graduates, graduate hukou, fresh graduate settlement, Shanghai household registration, student hukou",
    ),
    "talent-introduction-hukou": (
        "户口、落户口、迁户口、办户口、上海户口、户口迁入、落户上海、人才落户、引才落户、人才引进、户籍",
        "hukou, Shanghai hukou, household registration, residence registration transfer, talent hukou, settle in Shanghai",
    ),
    "talent-apartment": (
        "租房、租房补贴、便宜房子、人才房、青年公寓、公租房、住房补贴、宿舍",
        "rent, renting a flat, cheap housing, housing subsidy, rental apartment, youth apartment, dormitory, accommodation",
    ),
    "talent-express": (
        "人才咨询、人才中心、驻楼咨询、政策咨询、问落户、问积分、人才服务站",
        "talent advice, talent centre, ask about hukou, ask about points, HR policy questions",
    ),
    "residence-permit-points": (
        "积分、居住证积分、打分、子女上学、孩子中考、孩子高考、随迁子女、居住证转户口",
        "points, residence permit points, children school, kids exams, gaokao, zhongkao",
    ),
    "foreign-work-permit": (
        "工作签证、工签、外国人工作证、外籍员工、老外上班、聘用外国人、外专证",
        "work permit, work visa, hiring foreigners, foreign staff, expat, foreigner work licence",
    ),
    "exit-entry-foreigners": (
        "签证、签证续签、居留证、外国人居留、老外居留、签证到期、出入境、延期",
        "visa, visa extension, visa renewal, residence permit, residence card, expat, exit and entry, immigration",
    ),
    "professional-title": (
        "评职称、职称、中级职称、高级职称、工程师、职称证书、评高工",
        "professional title, job title grade, engineer title, senior engineer, qualification certificate",
    ),
    # --- 企业发展 business ---------------------------------------------------------------
    "office-expansion": (
        "找办公室、租办公室、写字楼出租、扩租、搬办公室、换办公室、空置面积、租金补贴、选址",
        "office space, rent an office, office for rent, move office, bigger office, relocation, rent subsidy, lease",
    ),
    "special-funding": (
        "补贴、企业补贴、政府补贴、补贴申请、扶持资金、专项资金、奖励资金、政府补助、落户奖励、资金申请",
        "subsidy, subsidies, company subsidy, government subsidy, grant, funding, government support, incentive money, cash award",
    ),
    "policy-briefing": (
        "政策解读、政策宣讲、惠企政策、政策咨询、政策说明会、新政策",
        "policy briefing, policy explained, business support policies, new policies, information session",
    ),
    "investment-matchmaking": (
        "招商、外资、外企、外商投资、设立外资公司、投资咨询、WFOE、外资落户",
        "foreign investment, WFOE, foreign company setup, FDI, investor services, set up a company in Shanghai",
    ),
    "tax-registration": (
        "开票、开发票、领发票、申领发票、发票、税务登记、报税、税控、电子发票、税务报到、新公司报税",
        "invoice, fapiao, issue invoices, tax registration, e-invoice, tax filing, new company tax, VAT invoice",
    ),
    "tax-incentives": (
        "减税、免税、税收优惠、少交税、税收减免、研发加计扣除、高新企业、小微企业减税",
        "tax cut, tax break, tax relief, tax exemption, R&D deduction, high-tech enterprise, small business tax",
    ),
    "njx-enterprise-service": (
        "南京西路、静安、企业服务、注册地址、一站式服务、街道服务窗口",
        "Nanjing West Road, Jing'an, business service desk, registered address, one-stop service",
    ),
    "business-licence-change": (
        "改营业执照、执照变更、公司改名、换法人、改地址、改经营范围、工商变更、迁址",
        "change company name, change legal representative, change address, change business scope, company registration change",
    ),
    # --- 市场监管 market -----------------------------------------------------------------
    "food-business-licence": (
        "食品许可证、开餐厅、开咖啡店、开奶茶店、食堂、便利店、餐饮许可、卫生许可证",
        "food licence, open a restaurant, open a cafe, coffee shop, canteen, convenience store, catering licence, food permit",
    ),
    "advertising-compliance": (
        "广告合规、明码标价、价格欺诈、虚假广告、促销活动、标价",
        "advertising rules, price tags, false advertising, misleading ads, promotion rules, pricing",
    ),
    "consumer-complaint": (
        "投诉商家、消费纠纷、退款、退货、被坑了、维权、12315、商家不退钱",
        "complain about a shop, consumer complaint, refund, return, ripped off, 12315, shop dispute",
    ),
    "trademark-ip": (
        "商标、注册商标、商标被抢注、侵权、知识产权、专利、版权、山寨",
        "trademark, register a trademark, intellectual property, patent, copyright, infringement, counterfeit",
    ),
    "special-equipment-lift": (
        "电梯坏了、电梯故障、困电梯、被困电梯、关在电梯里、电梯异响、电梯停运、电梯年检、扶梯",
        "lift broken, elevator broken, elevator, stuck in the lift, trapped in elevator, lift out of order, escalator",
    ),
    # --- 消防 fire -----------------------------------------------------------------------
    "fitout-fire-inspection": (
        "消防验收、消防备案、装修消防、开业消防、消防检查、消防审批",
        "fire inspection, fire approval, fire safety check, opening inspection, fit-out fire",
    ),
    "fire-drill": (
        "消防演习、逃生演练、疏散演练、灭火器怎么用、消防培训、火灾逃生",
        "fire drill, evacuation drill, fire extinguisher, fire escape practice",
    ),
    "fire-hazard-report": (
        "消防通道堵了、安全出口锁了、着火、起火、失火、火灾隐患、举报消防、消防栓坏了、烟味",
        "fire, blocked fire exit, fire escape blocked, locked exit, fire hazard, smell of smoke",
    ),
    "fire-safety-training": (
        "消防培训、消防负责人、消防管理人、消防证、消防上岗",
        "fire safety training, fire safety officer, fire warden",
    ),
    # --- 公安 police ---------------------------------------------------------------------
    "residence-registration": (
        "居住证、办居住证、居住证续签、暂住证、居住登记、租房登记、上海居住证",
        "residence permit, residence card, temporary residence, registration of residence, juzhuzheng",
    ),
    "security-guidance": (
        "防盗、失窃、东西被偷、丢东西、安保、报警、数据安全、保安、治安",
        "theft, stolen, security, police, burglary, data security, safety advice",
    ),
    "anti-fraud-report": (
        "被骗了、被骗钱、诈骗、电诈、骗子、刷单、冒充客服、转账被骗、止付、冻结账户、96110",
        "scam, scammed, fraud, cheated, phone scam, online scam, fake customer service, freeze account",
    ),
    "large-event-security": (
        "办活动、大型活动、年会、发布会、活动审批、活动报备、人多的活动",
        "event permit, large event, annual party, conference, launch event, gathering",
    ),
    # --- 法律 legal ----------------------------------------------------------------------
    "legal-clinic": (
        "免费律师、法律咨询、问律师、律师咨询、合同问题、打官司、离婚",
        "free lawyer, legal advice, ask a lawyer, contract question, legal help",
    ),
    "labour-dispute-mediation": (
        "拖欠工资、不发工资、加班费、被辞退、被开除、裁员、赔偿金、劳动纠纷、劳动仲裁",
        "unpaid wages, overtime pay, fired, dismissed, layoff, severance, labour dispute, labor arbitration",
    ),
    "legal-aid": (
        "请不起律师、免费律师、法律援助、工伤、讨薪、没钱打官司",
        "legal aid, free lawyer, cannot afford a lawyer, work injury, wage claim",
    ),
    "court-mediation": (
        "合同纠纷、欠款、讨债、起诉、打官司、商业纠纷、房租纠纷、诉前调解",
        "contract dispute, unpaid invoice, debt collection, lawsuit, sue, commercial dispute",
    ),
    "notary-enterprise": (
        "公证、公证处、认证、海牙认证、涉外公证、翻译公证",
        "notary, notarisation, notarization, apostille, legalisation, certified translation",
    ),
    "workplace-rights": (
        "欠薪、被辞退、违法辞退、劳动官司、起诉公司、职场纠纷",
        "unpaid salary, unfair dismissal, sue my employer, workplace dispute",
    ),
    # --- 卫生健康 health -----------------------------------------------------------------
    "employee-health-check": (
        "体检、员工体检、年度体检、入职体检、身体检查",
        "health check, medical check-up, checkup, physical exam, annual medical",
    ),
    "mental-health": (
        "心理咨询、压力大、焦虑、抑郁、失眠、情绪不好、心理医生、倾诉",
        "stress, anxiety, depression, burnout, counselling, counseling, therapist, mental health",
    ),
    "family-doctor": (
        "家庭医生、签约医生、社区医院、看病、配药、开药、慢性病",
        "family doctor, GP, general practitioner, community clinic, see a doctor, prescription",
    ),
    "vaccination-flu": (
        "流感疫苗、打疫苗、接种疫苗、打流感针、疫苗",
        "flu shot, flu jab, vaccine, vaccination, influenza",
    ),
    "aed-first-aid": (
        "急救、心肺复苏、CPR、除颤仪、有人晕倒、救护车、急救培训",
        "first aid, CPR, defibrillator, AED, someone collapsed, ambulance",
    ),
    # --- 工会 union ----------------------------------------------------------------------
    "summer-childcare": (
        "暑托班、暑假托管、孩子暑假、小孩没人带、看孩子、托管班",
        "summer camp, childcare, kids in summer, summer holiday care, day care",
    ),
    "union-membership": (
        "入会、工会会员、工会卡、工会福利、会员福利",
        "trade union, labor union, join the union, union benefits, union card",
    ),
    "difficult-employee-aid": (
        "生活困难、困难补助、救助、家里有病人、帮扶、补助金",
        "hardship, financial hardship, emergency aid, hardship grant, help with money",
    ),
    "lunch-break-rest": (
        "午休、休息的地方、热饭、微波炉、手机充电、喝水、外卖小哥休息",
        "rest area, lunch break, microwave, heat up lunch, phone charging, drinking water",
    ),
    "employee-activities": (
        "交友、联谊、相亲、羽毛球、读书会、活动、脱单",
        "social events, meet people, dating, badminton, book club, sports club",
    ),
    "social-insurance-query": (
        "社保、查社保、社保转移、社保缴费、五险一金、养老保险、医保、医保卡、社保卡、公积金",
        "social insurance, social security, pension, medical insurance, health insurance, housing fund, five insurances",
    ),
    # --- 党群 party ----------------------------------------------------------------------
    "party-membership-transfer": (
        "转党组织关系、党员关系转接、组织关系、转党关系、党员报到",
        "party membership transfer, CPC membership, party relations",
    ),
    "community-station-booking": (
        "借会议室、订会议室、免费会议室、场地预约、活动场地、借场地",
        "meeting room, book a room, free meeting room, venue, event space",
    ),
    "volunteer-service": (
        "志愿者、做志愿者、义工、公益、志愿活动",
        "volunteer, volunteering, charity, community service",
    ),
    "new-enterprise-party-building": (
        "成立党支部、建党支部、联合党支部、党建",
        "party branch, set up a party branch, party building",
    ),
    "public-lecture": (
        "讲座、免费讲座、公益课、健康讲座、法律讲座、政策讲座",
        "lecture, free talk, seminar, workshop, free class",
    ),
    # --- 楼宇物业 property ---------------------------------------------------------------
    "garage-parking-pass": (
        "停车、停车位、车位、包月停车、停车卡、月租车位、停车费、地库、停车场",
        "parking, car park, parking space, parking lot, monthly parking, parking fee, garage",
    ),
    "curbside-ride-hailing": (
        "打车、叫车、滴滴、网约车、出租车、门口堵车、接人、临时停车",
        "taxi, ride hailing, DiDi, pick-up point, drop-off, traffic jam at the entrance",
    ),
    "ebike-parking": (
        "电动车、电瓶车、自行车、电动车充电、电瓶车停哪、单车、共享单车",
        "e-bike, electric scooter, bicycle, bike, bike rack, charging an e-bike",
    ),
    "rainstorm-flooding": (
        "积水、水淹、下大雨、暴雨、地库进水、内涝、淹水",
        "flooding, flood, heavy rain, storm, water in the garage, waterlogging",
    ),
    "waste-sorting": (
        "垃圾分类、扔垃圾、湿垃圾、干垃圾、厨余垃圾、垃圾清运、可回收物",
        "rubbish, garbage, trash, waste, recycling, food waste, bins",
    ),
    "renovation-filing": (
        "装修、办公室装修、装修备案、装修审批、改造、施工",
        "renovation, office renovation, fit-out, refurbishment, construction work",
    ),
    "aircon-overtime": (
        "空调、加班空调、周末空调、晚上空调、空调不制冷、空调太热、空调太冷、冷气、暖气",
        "air conditioning, aircon, AC, heating, overtime aircon, weekend air conditioning, too hot, too cold",
    ),
    "visitor-access": (
        "门禁卡、工卡、访客、来访登记、进不了楼、门卡丢了、补门禁卡、访客预约",
        "access card, key card, visitor, guest registration, building pass, lost my card",
    ),
    "express-delivery": (
        "快递、取快递、寄快递、外卖、外卖放哪、取餐、快递柜、丰巢",
        "parcel, package, courier, delivery, food delivery, takeaway, express",
    ),
}
