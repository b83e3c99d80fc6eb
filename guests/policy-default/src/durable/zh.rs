//! Chinese cues, matched as substrings of the sentence.

use super::signals::{Signals, any, masked, near, trimmed_end};

/// Words holding 别/不要/错 that are not a prohibition or a correction.
const MASKS: &[&str] = &[
    "说了多少次",
    "多少次了",
    "说过多少次",
    "说过多少遍",
    "区别",
    "特别",
    "分别",
    "类别",
    "个别",
    "级别",
    "告别",
    "辨别",
    "识别",
    "差别",
    "性别",
    "鉴别",
    "派别",
    "离别",
    "判别",
    "别的",
    "别人",
    "别处",
    "别名",
    "别称",
    "别急",
    "别担心",
    "别管",
    "别客气",
    "不要紧",
    "要不要",
    "不要客气",
    "没错",
    "不错",
    "错误",
    "出错",
    "报错",
    "不用了",
    "不用谢",
    "不用担心",
    "不用管",
    "不用急",
    "下次再说",
    "下次见",
    "以后再说",
    "以后再",
    "之后",
    "不是吗",
    "是不是",
    "不能用了",
    "总是报错",
    "总是失败",
    "总是出错",
];

const RULES: &[&str] = &[
    "要用",
    "一定要",
    "不能随便",
    "不能直接",
    "不能改",
    "不能动",
    "不能删",
    "不能提交",
    "应该用",
    "都要",
    "都得",
    "不要",
    "别",
    "禁止",
    "不准",
    "不许",
    "请勿",
    "切勿",
    "不得",
    "一律",
    "必须",
    "务必",
    "绝对不要",
    "千万不要",
    "只用",
    "只能用",
    "统一用",
    "统一使用",
    "严禁",
    "不可以",
];

const HABITS: &[&str] = &["总是", "始终", "每次都", "一直用", "永远"];

const FACT_NOUNS: &[&str] = &[
    "风格",
    "规范",
    "格式",
    "命令",
    "指令",
    "脚本",
    "地址",
    "网址",
    "链接",
    "端口",
    "分支",
    "目录",
    "路径",
    "文件夹",
    "仓库",
    "域名",
    "接口",
    "入口",
    "配置",
    "数据库",
    "版本",
    "环境变量",
    "包管理",
    "服务器",
    "镜像",
    "账号",
    "用户名",
    "测试",
    "构建",
    "编译",
    "格式化",
    "部署",
    "打包",
    "发布",
    "文档",
];

const FACT_VERBS: &[&str] = &["是", "为", "在", "叫", "用", "放在", "位于", "跑", "走"];

const FACT_PHRASES: &[&str] = &[
    "里维护",
    "中维护",
    "统一维护",
    "统一管理",
    "按照",
    "遵循",
    "遵守",
    "参照",
    "为准",
    "风格按",
    "规范按",
    "格式按",
    "规定",
    "规范",
    "约定",
    "我们用",
    "我们使用",
    "我们都用",
    "我们一直用",
    "我们不用",
    "我们统一",
    "我们的",
    "项目用",
    "项目使用",
    "项目里用",
    "仓库用",
    "仓库里用",
    "本项目",
    "这个项目用",
    "团队用",
    "放在",
    "位于",
    "存放在",
    "都放",
    "统一放",
];

const CONTRASTS: &[&str] = &[
    "而不是",
    "而是",
    "不用",
    "代替",
    "替代",
    "改用",
    "换用",
    "别用",
    "不要用",
    "取代",
];

const LANGUAGES: &[&str] = &[
    "简体中文",
    "繁体中文",
    "中文",
    "英文",
    "英语",
    "汉语",
    "日语",
    "日文",
    "韩语",
    "韩文",
    "普通话",
];

const REPLY_WORDS: &[&str] = &[
    "回复", "回答", "回我", "交流", "沟通", "写", "答", "说", "解释", "输出", "注释", "对话", "聊",
];

const CONVERSATION: &[&str] = &["回复", "回答", "回我", "答复", "交流", "沟通", "对话"];

const PREFERENCES: &[&str] = &["偏好", "更喜欢", "我喜欢", "我习惯", "我倾向", "我希望你"];

const CORRECTIONS: &[&str] = &[
    "错啦",
    "不是的",
    "不对",
    "错了",
    "不是这样",
    "搞错",
    "弄错",
    "说错",
    "记错",
    "其实是",
    "实际上是",
    "理解错",
    "不是这个意思",
];

const MARKERS: &[&str] = &[
    "今后",
    "从现在开始",
    "从现在起",
    "从今天起",
    "从今天开始",
    "从今以后",
    "往后",
    "下次",
    "每次",
    "默认",
    "记住",
    "在这个仓库",
    "这个仓库里",
    "这个项目里",
    "本仓库",
    "本项目",
    "以后都",
    "以后要",
    "以后不要",
    "以后别",
    "以后请",
    "以后一律",
    "以后统一",
    "以后用",
    "以后回复",
    "以后就",
    "以后记得",
    "以后也",
];

const DOMAIN: &[&str] = &[
    "回答",
    "回复",
    "风格",
    "规范",
    "日志",
    "文件",
    "目录",
    "文件夹",
    "分支",
    "提交",
    "推送",
    "测试",
    "依赖",
    "包",
    "库",
    "模块",
    "代码",
    "函数",
    "配置",
    "迁移",
    "数据库",
    "生产",
    "密钥",
    "环境",
    "文档",
    "注释",
    "日志",
    "格式",
    "命令",
    "脚本",
    "端口",
    "地址",
    "接口",
    "版本",
    "发布",
    "部署",
    "构建",
    "编译",
    "类型",
    "缩进",
    "空格",
    "变量",
    "命名",
    "仓库",
    "中文",
    "英文",
    "主干",
    "合并",
];

const ONE_OFF: &[&str] = &[
    "算了",
    "等一下",
    "等等",
    "一下",
    "帮我",
    "帮忙",
    "这次",
    "这一次",
    "这里",
    "暂时",
    "临时",
    "先这样",
    "这个函数",
    "这行",
    "先别",
    "先不要",
    "还没",
    "把",
    "改成",
    "重构",
    "重写",
    "拆成",
    "加一个",
    "看看",
    "解释",
];

const TRANSIENT: &[&str] = &[
    "结果", "输出", "失败", "报错", "出错", "崩溃", "返回", "异常", "超时", "卡住", "挂了", "错误",
];

const ASIDES: &[&str] = &[
    "我会",
    "我再",
    "我下次",
    "下次再说",
    "下次见",
    "以后再说",
    "再见",
];

const REQUESTS: &[&str] = &[
    "好吗",
    "可以吗",
    "行吗",
    "好不好",
    "可以不",
    "能不能",
    "可不可以",
];

const QUESTION_WORDS: &[&str] = &[
    "什么",
    "怎么",
    "为什么",
    "为啥",
    "哪",
    "多少",
    "是否",
    "是不是",
    "有没有",
    "对不对",
    "吗",
    "干嘛",
    "啥",
];

pub fn read(text: &str, sig: &mut Signals) {
    let t = masked(text, MASKS);
    sig.rule |= any(&t, RULES);
    sig.habit |= any(&t, HABITS);
    sig.fact |= near(&t, FACT_NOUNS, FACT_VERBS, 3)
        || near(&t, DOMAIN, &["在", "放在", "位于"], 2)
        || any(&t, FACT_PHRASES);
    sig.contrast |= any(&t, CONTRASTS) || not_this_but_that(&t);
    sig.language |= near(&t, LANGUAGES, REPLY_WORDS, 3)
        || near(&t, REPLY_WORDS, LANGUAGES, 4)
        // "回答尽量简短，用中文": a conversation word and 用 + a language anywhere.
        || (any(&t, CONVERSATION) && near(&t, &["用", "使用", "说"], LANGUAGES, 0));
    sig.preference |= any(&t, PREFERENCES);
    sig.correction |= any(&t, CORRECTIONS);
    sig.marker |= any(&t, MARKERS) || opens_with_later(&t);
    sig.domain |= any(&t, DOMAIN);
    sig.one_off |= any(&t, ONE_OFF);
    // "测试都通过了": a report of what happened (a rule ending in 了 keeps its rule).
    sig.transient |= any(&t, TRANSIENT) || trimmed_end(&t).ends_with('了');
    sig.aside |= any(text, ASIDES);
    sig.request |= any(&t, REQUESTS);
    sig.asks_cjk |= asks(&t);
}

/// `不是 X，是 Y`: 不是 followed later by 是.
fn not_this_but_that(t: &str) -> bool {
    t.find("不是")
        .is_some_and(|at| t[at + "不是".len()..].contains('是'))
}

/// 以后 opening a clause means "from now on"; after a verb it means "after".
fn opens_with_later(t: &str) -> bool {
    const LEADS: &[&str] = &[
        "那", "所以", "好", "请", "你", "我们", "，", ",", "、", "：", ":",
    ];
    let mut lead = t.trim_start();
    while let Some(rest) = LEADS.iter().find_map(|p| lead.strip_prefix(p)) {
        lead = rest.trim_start();
    }
    lead.starts_with("以后")
}

/// 吗/呢 at the end, a question mark, or a question word; 好吗 wraps a request.
fn asks(t: &str) -> bool {
    let end = trimmed_end(t);
    if REQUESTS.iter().any(|r| end.ends_with(r)) {
        return false;
    }
    end.ends_with('？')
        || end.ends_with('?')
        || ["吗", "么", "呢"].iter().any(|p| end.ends_with(p))
        || any(t, QUESTION_WORDS)
}
