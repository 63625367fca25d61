"""A labelled sample for matching: two campaigns of one kindergarten, three of our posts, and 72 feed entries.

Written for these tests (not copied from anywhere): Simplified and Traditional Chinese mixed, reprints of our posts
under new headlines and without our keywords, summaries that carry only a first paragraph, and near-misses that
must not match (another kindergarten's reading month, the city library's, our own job advert, last year's event,
an advert for picture books, a general essay on shared reading).
"""

from __future__ import annotations

import dataclasses
import functools
from datetime import UTC, datetime

from publisher.tracker.match import CampaignRules, OurPost

READING, SAFETY = 1, 2  # campaign ids
START = datetime(2026, 11, 25, tzinfo=UTC)

P1_TITLE = "亲子共读半小时：孩子们当起了小老师"
P1 = (
    "12月2日下午，阳光幼儿园大一班的教室里坐满了前来参加“亲子共读半小时”活动的家长。孩子们从家里带来自己最喜欢的"
    "绘本，一页一页地讲给爸爸妈妈听。有的孩子讲到精彩处还模仿起小动物的叫声，逗得家长们哈哈大笑。活动最后，每个家庭"
    "都写下了一张阅读卡片，约定每天睡前一起读书二十分钟。园长表示，阅读月期间幼儿园还将开放图书角，欢迎家长借阅。"
)
P2_TITLE = "小小图书管理员上岗啦"
P2 = (
    "为了让孩子们更加爱护图书，阳光幼儿园在大班开展了“小小图书管理员”体验活动。孩子们轮流负责整理书架、登记借书和"
    "修补破损的图书。他们用彩色胶带把卷起的书角一点点粘好，还给每本书贴上了分类标签。负责这项工作的老师说，几天下来，"
    "孩子们不仅学会了按颜色和大小给图书分类，也明白了图书来之不易、需要大家共同爱护的道理。"
)
P3_TITLE = "消防演练进校园 安全意识记心间"
P3 = (
    "12月9日上午十点，随着一阵急促的警报声，阳光幼儿园的消防疏散演练正式开始。老师们迅速组织幼儿用湿毛巾捂住口鼻，"
    "弯腰沿着安全通道有序撤离到操场，全程用时两分十五秒。随后，区消防救援站的消防员叔叔为孩子们讲解了火灾发生时如何"
    "自救，并演示了灭火器的使用方法。大班的孩子们还在消防员的指导下亲手体验了水枪喷射。"
)

RULES = [
    CampaignRules(
        campaign_id=READING,
        all_of=["阳光幼儿园"],
        any_of=["阅读月", "亲子共读", "绘本", "图书管理员", "读书节"],
        none_of=["招聘", "广告", "促销"],
        starts_at=START,
    ),
    CampaignRules(
        campaign_id=SAFETY,
        all_of=["阳光幼儿园"],
        any_of=["安全教育周", "消防演练", "疏散演练", "消防安全"],
        none_of=["招聘"],
        starts_at=START,
    ),
]
POSTS = [
    OurPost(post_id=101, campaign_id=READING, texts=[P1_TITLE + "\n" + P1]),
    OurPost(post_id=102, campaign_id=READING, texts=[P2_TITLE + "\n" + P2]),
    OurPost(post_id=201, campaign_id=SAFETY, texts=[P3_TITLE + "\n" + P3]),
]


@dataclasses.dataclass(frozen=True)
class Labelled:
    title: str
    summary: str
    expected: frozenset[int]
    note: str
    published_at: datetime = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)


@functools.cache
def _to_traditional(text: str) -> str:
    import opencc

    return str(opencc.OpenCC("s2twp").convert(text))


def trad(text: str) -> str:
    return _to_traditional(text)


def _drop_sentence(text: str, index: int) -> str:
    sentences = [s for s in text.split("。") if s]
    del sentences[index]
    return "。".join(sentences) + "。"


def entries() -> list[Labelled]:
    r, s, none = frozenset({READING}), frozenset({SAFETY}), frozenset()
    first = P1.split("。")[0] + "。" + P1.split("。")[1] + "。"
    return [
        # --- keyword matches, Simplified -------------------------------------------------------------------------
        Labelled(
            "阳光幼儿园启动阅读月", "阳光幼儿园日前启动为期一个月的阅读月活动，每周安排亲子共读和故事会。", r, "kw"
        ),
        Labelled(
            "阳光幼儿园举办读书节", "本届读书节以“书香润童心”为主题，阳光幼儿园的孩子们在园内开展了好书分享。", r, "kw"
        ),
        Labelled("家长走进课堂", "阳光幼儿园邀请家长参加亲子共读，现场气氛热烈。", r, "kw"),
        Labelled("绘本漂流进社区", "阳光幼儿园把三百本绘本送到社区书屋，供附近的孩子免费借阅。", r, "kw"),
        Labelled("小小图书管理员", "阳光幼儿园大班孩子当起了图书管理员，学着整理书架。", r, "kw"),
        Labelled("阳光幼儿园：阅读月里故事多", "每个班级都布置了阅读角，孩子们每天都能读到新书。", r, "kw"),
        Labelled("书香满园 快乐成长", "阳光幼儿园阅读月活动吸引了三百多个家庭参与。", r, "kw"),
        Labelled("爸爸妈妈来讲故事", "在阳光幼儿园，每周五下午是家长志愿者讲绘本的时间。", r, "kw"),
        # --- keyword matches, Traditional ------------------------------------------------------------------------
        Labelled("陽光幼兒園啟動閱讀月", "陽光幼兒園日前啟動為期一個月的閱讀月活動，每週安排親子共讀。", r, "kw-trad"),
        Labelled("親子共讀好時光", "陽光幼兒園的家長們走進教室，和孩子一起讀繪本。", r, "kw-trad"),
        Labelled("陽光幼兒園讀書節開幕", "讀書節期間，孩子們在園裡交換自己喜愛的圖書。", r, "kw-trad"),
        Labelled(
            trad("阳光幼儿园开展绘本剧表演"), trad("孩子们把喜欢的绘本故事编成小剧本，在舞台上表演。"), r, "kw-trad"
        ),
        Labelled(trad("阳光幼儿园的图书管理员"), trad("大班幼儿轮流担任图书管理员，登记借还。"), r, "kw-trad"),
        Labelled("ＡＢＣ陽光幼兒園　閱讀月", "陽光幼兒園閱讀月第二週：繪本故事會。", r, "kw-fullwidth"),
        # --- reprints of our posts: new headline, our keywords dropped or kept ------------------------------------
        Labelled("家长们被孩子逗乐了", P1, r, "reprint-full"),
        Labelled("孩子讲书 家长当听众", P1.replace("阅读月期间", "近期"), r, "reprint-edited"),
        Labelled("一节特别的课", first, r, "reprint-first-paragraph"),
        Labelled("家長們被孩子逗樂了", trad(P1), r, "reprint-trad"),
        Labelled("教室里的小老师", _drop_sentence(P1, 2), r, "reprint-dropped-sentence"),
        Labelled(
            "孩子们讲故事给爸爸妈妈听",
            P1.replace("阳光幼儿园", "本市一所幼儿园").replace("绘本", "图画书").replace("阅读月", "这个月"),
            r,
            "reprint-no-keywords",
        ),
        Labelled("图书角里的小帮手", P2, r, "reprint-full"),
        Labelled("小小管理員", trad(P2), r, "reprint-trad"),
        Labelled(
            "孩子们学会了修补图书",
            P2.replace("小小图书管理员", "爱书小卫士").replace("阳光幼儿园", "该园"),
            r,
            "reprint-no-keywords",
        ),
        Labelled("爱护图书从小做起", _drop_sentence(P2, 1), r, "reprint-dropped-sentence"),
        Labelled("【转载】" + P1_TITLE, "来源：阳光幼儿园公众号。" + P1, r, "reprint-with-source-line"),
        Labelled("孩子們當起了小老師", trad(first), r, "reprint-trad-first-paragraph"),
        # --- safety campaign ---------------------------------------------------------------------------------------
        Labelled("阳光幼儿园开展消防演练", "12月9日，阳光幼儿园组织全园师生进行消防演练。", s, "kw"),
        Labelled("阳光幼儿园安全教育周", "安全教育周期间，孩子们学习了防火、防电和交通安全知识。", s, "kw"),
        Labelled("陽光幼兒園舉行疏散演練", "警報響起後，全園幼兒在兩分鐘內撤離到操場。", s, "kw-trad"),
        Labelled("两分十五秒！孩子们安全撤离", P3, s, "reprint-full"),
        Labelled("消防員叔叔來了", trad(P3), s, "reprint-trad"),
        Labelled(
            "湿毛巾捂口鼻 弯腰快撤离",
            _drop_sentence(P3.replace("阳光幼儿园的消防疏散演练", "一场特别的演习"), 3),
            s,
            "reprint-no-keywords",
        ),
        Labelled("阳光幼儿园：安全教育周和阅读月同时进行", "阳光幼儿园本月既有阅读月，也有安全教育周。", r | s, "both"),
        # --- near-misses: must not match --------------------------------------------------------------------------
        Labelled(
            "星星幼儿园启动阅读月",
            "星星幼儿园日前启动阅读月活动，每周安排亲子共读和故事会。",
            none,
            "other kindergarten",
        ),
        Labelled("市图书馆阅读月书单发布", "市图书馆公布阅读月推荐书单，其中包括二十本绘本。", none, "library"),
        Labelled("阳光幼儿园招聘教师", "阳光幼儿园现招聘幼儿教师两名，负责绘本阅读课程。", none, "job advert"),
        Labelled("绘本特价促销", "阳光幼儿园门口书店绘本促销，全场五折。", none, "advert"),
        Labelled("亲子共读的五个好处", "专家建议家长每天和孩子一起读书，亲子共读有助于语言发展。", none, "essay"),
        Labelled(
            "阳光幼儿园阅读月回顾",
            "去年阳光幼儿园的阅读月吸引了许多家庭。",
            none,
            "last year",
            datetime(2025, 12, 3, tzinfo=UTC),
        ),
        Labelled(
            "月亮幼儿园的亲子阅读",
            "12月3日下午，月亮幼儿园中二班开展亲子阅读活动。家长们和孩子一起读绘本，孩子们还画出了故事里的主人公。"
            "老师表示，今后每月都会邀请家长来园参加一次读书活动。",
            none,
            "similar event elsewhere",
        ),
        Labelled(
            "教室里坐满了家长",
            "12月4日下午，彩虹小学一年级的教室里坐满了前来参加家长会的爸爸妈妈。班主任介绍了本学期的学习情况，"
            "并请家长们填写了一张家校联系卡片。",
            none,
            "shared phrases, other story",
        ),
        Labelled(
            "城南小学消防演练",
            "12月9日上午，城南小学组织了消防疏散演练，学生们用湿毛巾捂住口鼻有序撤离到操场。",
            none,
            "other school's drill",
        ),
        Labelled("消防安全知识讲座", "区消防救援站走进社区，为居民讲解灭火器的使用方法。", none, "fire talk"),
        Labelled("陽光社區舉辦讀書會", "陽光社區圖書室週末舉辦讀書會，居民共讀經典。", none, "sunshine community"),
        Labelled(
            "Reading Month at Sunny School",
            "Sunny Primary School started its reading month with a book fair.",
            none,
            "english",
        ),
        Labelled("阳光城幼儿园开学", "阳光城幼儿园今天迎来新学期，孩子们高高兴兴上学去。", none, "similar name"),
        Labelled("图书管理员培训班开班", "市图书馆举办基层图书管理员培训班，六十人参加。", none, "librarians"),
        Labelled(
            "星星幼兒園讀書節",
            "星星幼兒園讀書節邀請作家走進校園，和孩子們分享繪本創作。",
            none,
            "other kindergarten trad",
        ),
        Labelled("绘本作家进校园", "知名绘本作家来到实验小学，与孩子们面对面交流。", none, "author visit"),
        Labelled("幼儿园安全检查", "区教育局对全区幼儿园开展冬季安全检查。", none, "inspection"),
        Labelled(
            "阳光幼儿园冬至包饺子",
            "冬至当天，阳光幼儿园的孩子们和老师一起包饺子。",
            none,
            "same kindergarten, other topic",
        ),
        Labelled(
            "陽光幼兒園冬至包餃子",
            "冬至當天，陽光幼兒園的孩子們和老師一起包餃子。",
            none,
            "same kindergarten, other topic, trad",
        ),
        Labelled(
            "小学生学修书",
            "为了让学生更加爱护图书，东湖小学开展了修书体验活动。学生们用胶带粘好破损的书页，并学习给图书分类。",
            none,
            "similar activity elsewhere",
        ),
        # --- unrelated news -----------------------------------------------------------------------------------------
        Labelled("地铁五号线年底通车", "地铁五号线全线进入调试阶段，预计年底通车。", none, "unrelated"),
        Labelled("本周气温下降", "受冷空气影响，本周全市气温将下降八到十度。", none, "unrelated"),
        Labelled("市民服务中心延长办公时间", "即日起市民服务中心工作日延长至晚上七点。", none, "unrelated"),
        Labelled("冬季流感高发", "疾控中心提醒市民及时接种流感疫苗。", none, "unrelated"),
        Labelled("老旧小区改造启动", "今年全市将改造老旧小区四十二个。", none, "unrelated"),
        Labelled(
            "馬拉松賽週日開跑", "本屆馬拉松預計有兩萬名選手參賽，部分道路將實施交通管制。", none, "unrelated trad"
        ),
        Labelled("新能源车销量增长", "前十个月本市新能源汽车销量同比增长三成。", none, "unrelated"),
        Labelled("菜价保持平稳", "本周蔬菜批发价格保持平稳，猪肉价格小幅下降。", none, "unrelated"),
        Labelled("City marathon on Sunday", "Roads near the river will close from 6 a.m.", none, "unrelated english"),
        Labelled("公園步道完工", "濱江公園新建步道全長三公里，本週末開放。", none, "unrelated trad"),
        Labelled("科技馆推出寒假活动", "科技馆寒假期间推出二十场科普活动。", none, "unrelated"),
        Labelled("志愿者服务队成立", "社区志愿者服务队正式成立，首批五十人。", none, "unrelated"),
        Labelled("博物馆新展开幕", "市博物馆推出青铜器特展，展期三个月。", none, "unrelated"),
        Labelled("高速公路节前车流预测", "节前三天高速公路车流量预计增加两成。", none, "unrelated"),
        Labelled("体育中心免费开放", "体育中心游泳馆每周二上午免费开放。", none, "unrelated"),
        Labelled("電影節閉幕", "本屆電影節共展映一百二十部影片。", none, "unrelated trad"),
        Labelled("医院开设夜间门诊", "市第一医院开设儿科夜间门诊。", none, "unrelated"),
        Labelled("旧书集市周末开市", "旧书集市本周末在文化广场举行，摊主超过八十家。", none, "books, unrelated"),
        Labelled("孩子们的冬令营", "青少年宫冬令营开始报名，名额有限。", none, "children, unrelated"),
    ]
