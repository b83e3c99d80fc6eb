//! The checks, by category, on folded text (lowercase, single spaces, lines
//! joined by `\n`). In a pattern a literal space stands for `\s+`, so a phrase
//! may run over a line break; `{NAME}` pieces are shared vocabularies.
//!
//! Mentioning a risky thing is not refused; telling the agent to do it is. A
//! remote download piped straight into a shell is refused however it is
//! worded (even "never run `curl … | sh`"): memory is no place for it.

use std::sync::LazyLock;

use regex::Regex;

use super::markup::line_at;
use super::{Category, Finding};

/// Pieces spliced into patterns as `{NAME}`.
const PIECES: &[(&str, &str)] = &[
    (
        "IGNORE",
        r"(?:ignore|disregard|forget|overlook|bypass|override|overrule|abandon|discard|neglect|set aside|throw away|throw out|pay no attention to|do not follow|don't follow|dont follow|stop following|no longer follow|do not obey|don't obey|stop obeying)",
    ),
    (
        "QUAL",
        r"(?:all|any|each|every|the|your|my|of|these|those|this|that|its|their|such|and|or|other|existing|given|provided|current|default|real|actual|old|safety|system|developer|original|initial|previous|prior|above|earlier|preceding|foregoing|former|past)",
    ),
    (
        "STRONG",
        r"(?:previous|prior|above|earlier|preceding|foregoing|former|past|original|initial|system|developer|safety|all|any|every|your|other)",
    ),
    (
        "ORDERS",
        r"(?:instructions?|prompts?|directions?|directives?|guidelines?|guidance|commands?|rules?|context|constraints?|restrictions?|policies|programming|orders|conversation|text|content|input)",
    ),
    (
        "NEG",
        r"(?:never|not|don't|dont|do not|must not|mustn't|should not|shouldn't|avoid|refrain from|under no circumstances)",
    ),
    (
        "USER",
        r"(?:the |your |this )?(?:user|human|operator|person|requester)\b",
    ),
    (
        "OBJ",
        r"(?:this|these|that|it|them|any of (?:this|these|it|them)|anything|the above|the following|(?:this|these|the|those|your|my) (?:notes?|instructions?|rules?|steps?|lines?|commands?|memory|memories|files?|messages?|text|prompt|section|entries|entry|directives?)|what you(?:'re| are| did| do| have done| ran)?|that you|about (?:this|these|it|them|the (?:notes?|instructions?|memory|script|command)))",
    ),
    (
        "NEGZH",
        r"(?:不要|别|別|不能|不可以|不可|不许|不許|不准|禁止|切勿|勿|绝不|絕不|绝对不要|絕對不要|千万不要|千萬不要|千万别|千萬別|请勿|請勿|永远不要|永遠不要|不得|不应该|不應該|不应|不應|绝对不能|絕對不能)",
    ),
    ("USERZH", r"(?:用户|用戶|使用者)"),
    ("USERJA", r"(?:ユーザー?|利用者|使用者)"),
    ("USERKO", r"(?:사용자|유저|이용자)"),
    (
        "SHELL",
        r"(?:sudo(?: -\S+)* )?(?:env(?: \S+=\S*)* )?(?:sh|bash|zsh|dash|ksh|fish|csh|tcsh|ash|busybox sh|python[0-9.]*|perl|ruby|node|nodejs|deno|bun|php|lua|iex|invoke-expression|pwsh|powershell(?:\.exe)?|source|cmd(?:\.exe)?|osascript)\b",
    ),
    (
        "FETCH",
        r"(?:curl|wget|fetch|aria2c|httpie|xh|iwr|irm|invoke-webrequest|invoke-restmethod|lwp-request)",
    ),
    (
        "STAGE",
        r"(?:tee|cat|sed|tr|head|tail|gunzip|zcat|gzip -d|bunzip2|xz -d|base64 -d|base64 --decode|xxd -r|rev|openssl|dos2unix)",
    ),
    (
        "VERBEN",
        r"(?:send|sending|post|posting|upload|uploading|exfiltrate|exfiltrating|transmit|transmitting|forward|forwarding|leak|leaking|email|e-mail|mail|submit|submitting|beacon|pipe|piping|dump|dumping)",
    ),
    (
        "VERBCJK",
        r"(?:发送|發送|上传|上傳|传到|傳到|发到|發到|传给|傳給|发给|發給|提交|转发|轉發|泄露|洩露|外传|外傳|送信|送って|送る|送ります|送付|アップロード|転送|ポスト|전송|보내|업로드|올려|유출)",
    ),
    (
        "SECRET",
        r"(?:\bsecrets?\b|\bcredentials?\b|\bcreds\b|\btokens?\b|\bapi[ -]?keys?\b|\baccess[ -]keys?\b|\bsecret[ -]keys?\b|\bpasswords?\b|\bpasswd\b|\bprivate[ -]keys?\b|\bssh[ -]keys?\b|\benv(?:ironment)?[ -](?:variables|vars)\b|\$\(env\)|\bprintenv\b|\benv\b|\.env\b|~/\.ssh|\.ssh/|\bid_rsa\b|\bid_ed25519\b|\bid_ecdsa\b|\.aws/credentials|\.aws\b|\.npmrc|\.netrc|\.pypirc|\.git-credentials|\.docker/config|\bkubeconfig\b|\.kube/config|\bcookies?\b|\bsession[ -](?:tokens?|cookies?|ids?)\b|\bkeychain\b|/etc/passwd|/etc/shadow|bash_history|zsh_history|\bwallet\b|seed phrase|\bmnemonic\b|密钥|秘钥|密鑰|令牌|密码|密碼|凭证|憑證|凭据|憑據|环境变量|環境變量|環境變數|私钥|私鑰|環境変数|秘密鍵|トークン|パスワード|認証情報|シークレット|クレデンシャル|apiキー|환경\s?변수|비밀\s?키|토큰|비밀번호|암호|자격\s?증명|시크릿|개인\s?키|api\s?키|인증\s?정보)",
    ),
    (
        "DEST",
        r"(?:https?://|ftp://|\b(?:webhook|pastebin|requestbin|ngrok|pipedream|burpcollaborator|interact\.sh|transfer\.sh)\b|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|net|org|io|xyz|ru|cn|top|site|app|dev|me|cc|tk|info|biz)\b|\b(?:\d{1,3}\.){3}\d{1,3}\b)",
    ),
];

/// Each entry: category and pattern (see the module comment for its syntax).
const CHECKS: &[(Category, &str)] = &[
    // ---- Override earlier instructions: English.
    (
        Category::Override,
        r"\b{IGNORE}(?: {QUAL})* {STRONG}(?: {QUAL})* {ORDERS}\b",
    ),
    (
        Category::Override,
        r"\b{IGNORE}(?: (?:all|any|every|the|your|of|these))* (?:instructions|prompts?|directives|guidelines|guidance|programming|training)\b",
    ),
    (
        Category::Override,
        r"\b{IGNORE}(?: (?:all|everything|anything))?(?: (?:of )?the)? (?:above|before this|prior to this|(?:stated|said|written|mentioned|given) (?:above|before|earlier)|you (?:were|have been|'ve been) told|that came before|up to (?:here|now|this point))\b",
    ),
    (
        Category::Override,
        r"\bforget (?:about )?(?:everything|all that|all of that|what you (?:know|were told|learned))\b",
    ),
    (
        Category::Override,
        r"\b(?:here are|these are|follow|obey|read|below are|the following are) (?:your |the |these |my )?(?:new|updated|revised|real|actual|true|secret|hidden|override) (?:instructions|directives|orders|rules|system prompt)\b",
    ),
    (
        Category::Override,
        r"\b(?:new|updated|revised|real|actual|true|secret|hidden|override) (?:system )?(?:instructions|directives|orders)\s*:",
    ),
    (
        Category::Override,
        r"\b(?:new|updated|real|actual|true|override|fake|injected) system (?:prompt|message|instructions)\b",
    ),
    (
        Category::Override,
        r"\byour (?:new|real|actual|true) (?:instructions|task|role|directive|orders|purpose|goal)\b",
    ),
    (
        Category::Override,
        r"\byour (?:real |actual |true |new )?instructions (?:are|is|now)\b",
    ),
    (
        Category::Override,
        r"\byou are now (?:a|an|the|my|no longer|free|unrestricted|unfiltered|uncensored|jailbroken|dan|in (?:developer|god|admin|unrestricted|jailbreak|dan) mode|acting|operating|going to|allowed|permitted|able to|authorized|root|admin|called|named|known as)\b",
    ),
    (
        Category::Override,
        r"\byou are no longer (?:bound|restricted|limited|an? ai|an assistant|claude|codex|chatgpt|required to|subject to)",
    ),
    (
        Category::Override,
        r"\bfrom now on,? you (?:are|will be|will act|act|respond|answer|obey|must ignore|will ignore|ignore|must obey|shall)\b",
    ),
    (
        Category::Override,
        r"\bpretend (?:to be|you are|that you are|you're)\b",
    ),
    (
        Category::Override,
        r"\bact as (?:if you (?:are|were) )?(?:an? )?(?:unrestricted|jailbroken|unfiltered|uncensored|evil|malicious|dan)\b",
    ),
    (
        Category::Override,
        r"\b(?:enable|enter|activate|switch to|you are in) (?:god|jailbreak|dan|unrestricted|unfiltered) mode\b",
    ),
    (
        Category::Override,
        r"\bdo anything now\b|\bjailbreak (?:mode|enabled|activated)\b",
    ),
    (
        Category::Override,
        r"\b(?:reveal|print|show|output|repeat|leak|display|dump|expose|tell me|give me|send me|what is|what's|write out|recite|ignore|override|overwrite|replace|disregard|forget|bypass|change|modify)(?: me)?(?: (?:your|the|my))?(?: (?:full|entire|complete|original|initial|hidden|secret|real|exact|current))* (?:system|developer|initial|hidden|original|secret) (?:prompt|message|instructions)s?\b",
    ),
    (
        Category::Override,
        r"\byour (?:system prompt|system message|initial prompt|original instructions|previous instructions|prior instructions|hidden instructions|initial instructions|programming|guardrails|safety guidelines|content policy)\b",
    ),
    (
        Category::Override,
        r"\b(?:system|admin|developer|root) (?:override|instructions?)\s*:|\bsystem prompt (?:override|update|injection)\b|\b(?:begin|start|end) (?:of )?(?:the )?(?:system|developer|hidden) (?:prompt|message|instructions)\b",
    ),
    // Text that addresses the model reading it rather than a person.
    (
        Category::Override,
        r"\bif you are an? (?:ai|llm|assistant|agent|bot|language model|large language model|ai assistant|ai agent|coding agent)\b|\b(?:ai|llm) (?:agents?|assistants?|models?) (?:reading|processing|parsing|seeing) this\b|\b(?:attention|message|instructions?) (?:to|for) (?:the |any |all )?(?:ai|llm|language model)s?\b",
    ),
    (
        Category::Override,
        r"如果你是(?:一个)?(?:ai|人工智能|助手|大模型|语言模型|語言模型)|(?:ai|人工智能)(?:助手)?请注意|(?:あなたが|もしあなたが)(?:ai|aiアシスタント|言語モデル)(?:なら|であれば)|(?:당신이|네가|너가)\s?(?:ai|인공지능|언어 모델)(?:라면|이라면)",
    ),
    // ---- Override: Chinese (simplified and traditional).
    (
        Category::Override,
        r"(?:忽略|无视|無視|忽视|忽視|不要理会|不要理會|不理会|不理會|别管|別管|抛开|拋開|放弃|放棄|忘记|忘記|忘掉|丢弃|丟棄|跳过|跳過|绕过|繞過|不再遵守|不要遵守|不用遵守|停止遵守|不要遵循|不再遵循|违背|違背|推翻)(?:掉)?(?:你)?(?:之前|以前|先前|此前|前面|上面|上述|以上|上文|前述|原来|原來|原先|原有|最初|系统|系統|所有|全部|一切|任何|其他|其它|你的|我的)(?:的|所有|全部|一切|任何)*(?:系统|系統)?(?:指令|指示|命令|说明|說明|规则|規則|提示词|提示詞|提示|要求|设定|設定|约束|約束|限制|内容|內容|对话|對話|信息|訊息|消息|指南|准则|準則|指导|指導)",
    ),
    (
        Category::Override,
        r"(?:以下是|这是|這是|下面是|请遵守|請遵守|请遵循|請遵循|你的)(?:你的)?新(?:的)?(?:指令|指示|规则|規則|任务|任務|角色|系统提示|系統提示)|新(?:的)?(?:指令|指示|系统提示|系統提示)\s*:",
    ),
    (
        Category::Override,
        r"(?:你现在是|你現在是|现在你是|現在你是|你现在扮演|你現在扮演|你不再是)|(?:从|從)(?:现在|現在)(?:开始|開始|起)\s*,?\s*你(?:是|将|將|要|必须|必須|只)",
    ),
    (
        Category::Override,
        r"(?:显示|顯示|输出|輸出|打印|泄露|洩露|透露|告诉我|告訴我|重复|重複|忽略|无视|無視|覆盖|覆蓋|修改|替换|替換|揭示|公开|公開)(?:一下)?(?:出)?(?:你的)?(?:完整的|原始的|隐藏的|隱藏的)?(?:系统提示|系統提示|系统指令|系統指令|系统消息|系統訊息|初始指令|原始指令|隐藏指令|隱藏指令)|(?:新的|真正的|你的)(?:系统提示|系統提示|系统指令|系統指令|初始指令)",
    ),
    (
        Category::Override,
        r"(?:进入|進入|启用|啟用|开启|開啟|切换到|切換到|处于|處於)(?:越狱|越獄|上帝|无限制|無限制)模式",
    ),
    // ---- Override: Japanese.
    (
        Category::Override,
        r"(?:以前|前|上記|上|これまで|今まで|先ほど|先程|最初|元|既存|システム|全て|すべて|全部|他|あらゆる|前述|従来|それまで|過去)の?(?:全て|すべて)?の?(?:指示|命令|指令|ルール|プロンプト|制約|ガイドライン|設定|内容|規則|指図|インストラクション)(?:は|を|も)?(?:全て|すべて|全部|一切|完全に)?(?:無視|忘れ|破棄|取り消|無効に)",
    ),
    (
        Category::Override,
        r"新(?:しい|たな)(?:指示|命令|指令|ルール|システムプロンプト|役割)(?:\s*:|に従|を与え|です|は次|は以下)|(?:以下|次)(?:が|は)(?:あなたの)?新(?:しい|たな)(?:指示|命令)",
    ),
    (
        Category::Override,
        r"あなたは今|今からあなたは|これからあなたは|あなたはもはや|あなたはもう(?:ai|アシスタント)ではない|今後あなたは",
    ),
    (
        Category::Override,
        r"システムプロンプト(?:を|は|の内容を)?(?:表示|出力|教え|無視|見せ|公開|繰り返|上書き|変更|忘れ|明か)|(?:新しい|本当の|隠された)(?:システムプロンプト|指示)|(?:脱獄|ジェイルブレイク)モード",
    ),
    // ---- Override: Korean.
    (
        Category::Override,
        r"(?:이전|앞|위|위의|앞의|앞서|이전의|지금까지|지금까지의|기존|기존의|모든|원래|원래의|시스템|초기|다른|상기)\s?(?:의\s?)?(?:모든\s?)?(?:지시|지시사항|지시 사항|지침|명령|명령어|규칙|프롬프트|안내|제약|시스템 프롬프트)(?:들)?(?:을|를|은|는|도)?\s?(?:모두|전부|다|완전히)?\s?(?:무시|잊어|잊고|잊으|잊을|따르지|폐기|취소)",
    ),
    (
        Category::Override,
        r"(?:위|위의|앞|앞의|이전|이전의|상기)\s?(?:모든\s?)?(?:내용|대화)(?:을|를|은|는)?\s?(?:모두|전부|다)?\s?(?:무시|잊)",
    ),
    (
        Category::Override,
        r"새(?:로운)?\s?(?:지시|지시사항|지침|명령|시스템 프롬프트|역할)\s?(?::|입니다|을 따르|를 따르|은 다음)",
    ),
    (
        Category::Override,
        r"(?:너는|당신은|넌)\s?(?:이제|지금부터|이제부터|더 이상)|(?:이제부터|지금부터)\s?(?:너는|당신은|넌)",
    ),
    (
        Category::Override,
        r"시스템\s?프롬프트(?:를|을|는|의 내용을)?\s?(?:보여|출력|알려|무시|공개|반복|변경|덮어|잊|드러)|(?:새로운|진짜|숨겨진)\s?(?:시스템\s?프롬프트|지시)|탈옥\s?모드",
    ),
    // ---- Hide from the user: English.
    (
        Category::HideFromUser,
        r"\b{NEG}(?: ever)? (?:tell|inform|notify|alert|warn)(?:ing)? {USER}",
    ),
    (
        Category::HideFromUser,
        r"\b{NEG}(?: ever)? (?:let|allow) {USER} (?:to )?(?:know|see|notice|find out|learn|read|discover|realize|realise)\b",
    ),
    (
        Category::HideFromUser,
        r"\b{NEG}(?: ever)? (?:mention|reveal|show|disclose|say|report|explain|display|share|expose|acknowledge|admit|discuss|bring up|reference|surface|output|print|leak|describe|repeat|relay|pass on|read out)(?:ing)?(?: anything)? {OBJ}(?: \S+){0,6}? (?:to|with|in front of|for) {USER}",
    ),
    (
        Category::HideFromUser,
        r"\b{NEG}(?: ever)? (?:mention|reveal|disclose|admit|acknowledge|explain|report|say|repeat)(?:ing)?(?: (?:it|this|that|anything|any of this))? (?:to|with) {USER}",
    ),
    (
        Category::HideFromUser,
        r"\b{NEG}(?: ever)? (?:mention|reveal|disclose|refer to|reference|talk about|discuss|acknowledge|include|say anything about|explain)(?:ing)? {OBJ} in (?:your|the|any)(?: final)? (?:response|reply|answer|summary|output|message|explanation|report|chat)s?\b",
    ),
    (
        Category::HideFromUser,
        r"\b{NEG}(?: ever)? (?:mention|reveal|disclose|acknowledge|admit)(?:ing)? (?:that )?(?:you|these|this|the)(?: \S+){0,3}? (?:exist|exists|were given|was given|are following|follow|received|have read|read|are using)\b",
    ),
    (
        Category::HideFromUser,
        r"\bkeep (?:{OBJ}|everything|all of this|it all)(?: \S+){0,4}? (?:from {USER}|to yourself|between (?:us|ourselves))",
    ),
    (
        Category::HideFromUser,
        r"\bhide (?:(?:{OBJ}|everything|all of this|what you(?:'re| are)? (?:do|did|doing|have done)|your (?:actions|changes|activity|steps|edits))(?: \S+){0,3}? )?from {USER}",
    ),
    (
        Category::HideFromUser,
        r"\b(?:the |your )?user (?:must|should|shall|will|may|can|needs to|need to)(?: not|n't| never) (?:ever )?(?:know|find out|be told|be informed|become aware|learn about|learn of|suspect|discover|realize|realise)\b",
    ),
    (
        Category::HideFromUser,
        r"\bwithout (?:the |your )?user(?:'s)? (?:knowing|noticing|knowledge|being aware|realizing|realising|finding out)\b|\bwithout (?:telling|informing|notifying|alerting) (?:the user|your user|anyone|anybody)\b|\bwithout letting {USER} know\b",
    ),
    (
        Category::HideFromUser,
        r"\bsilently (?:run|execute|install|disable|delete|remove|push|commit|modify|change|upload|send|add|overwrite|rewrite|skip)\b|\b(?:secretly|covertly|surreptitiously|stealthily)\b|\bbehind (?:the |your )?user'?s? back\b|\bso(?: that)? (?:the )?user (?:won't|will not|doesn't|does not|can't|cannot|never) (?:know|notice|see|find out|suspect|realize)\b",
    ),
    // ---- Hide from the user: Chinese.
    (
        Category::HideFromUser,
        r"{NEGZH}(?:对|對|向|跟|和|给|給)?{USERZH}(?:提及|提起|提到|透露|泄露|洩露|说|說|讲|講|告知|说明|說明|解释|解釋|汇报|匯報|报告|報告)",
    ),
    (
        Category::HideFromUser,
        r"{NEGZH}(?:告诉|告訴|告知|通知|提醒)(?:给|給)?{USERZH}|{NEGZH}(?:让|讓|被){USERZH}(?:知道|发现|發現|看到|察觉|察覺|注意到|得知)",
    ),
    (
        Category::HideFromUser,
        r"{NEGZH}(?:在)?(?:回复|回覆|回答|回应|回應|输出|輸出|总结|總結|答复|答覆)(?:中|里|裡)?(?:提及|提到|提起|透露|说明|說明)(?:这|這|此|本)",
    ),
    (
        Category::HideFromUser,
        r"(?:对|對|向){USERZH}(?:保密|隐瞒|隱瞞|隐藏|隱藏)|(?:瞒着|瞞著|背着|背著){USERZH}|{USERZH}(?:不能|不可以|不可|不应|不應|不得|绝不能|絕不能|永远不能|永遠不能)(?:知道|发现|發現|察觉|察覺|得知)|(?:悄悄|偷偷|秘密)地?(?:执行|執行|运行|運行|发送|發送|上传|上傳|安装|安裝|修改|删除|刪除)",
    ),
    (
        Category::HideFromUser,
        r"{NEGZH}把[^\n]{0,20}?(?:告诉|告訴|透露|泄露|洩露|说给|說給|展示给|展示給|显示给|顯示給)(?:给|給)?{USERZH}",
    ),
    // ---- Hide from the user: Japanese.
    (
        Category::HideFromUser,
        r"{USERJA}(?:に|へ)(?:は|も)?(?:絶対に|決して|一切|何も|このこと(?:を|は)?|これら?(?:を|は)?|この(?:メモ|指示|内容|ファイル|ルール|ノート|件)(?:を|は)?|これらの(?:メモ|指示|内容|ノート)(?:を|は)?)?(?:言わ|伝え|教え|知らせ|見せ|話さ|報告し|言及し|明かさ|漏らさ|説明し|言って|伝えて|知らせて|教えて)(?:ない|るな|ず|ぬ|ません|は(?:いけ|なら|だめ))",
    ),
    (
        Category::HideFromUser,
        r"{USERJA}(?:に|から)(?:は)?(?:秘密|内緒|隠し|隠す|隠して|伏せ)|{USERJA}(?:に|が)(?:気づかれ|気付かれ|知られ|バレ|ばれ)(?:ない|ず|ぬ)|(?:こっそり|密かに|ひそかに)(?:と)?(?:実行|送信|アップロード|インストール|変更|削除|送)",
    ),
    (
        Category::HideFromUser,
        r"(?:回答|返答|応答|出力|要約)(?:で|の中で|に)(?:は)?(?:この|これらの|これ)(?:メモ|指示|内容|ノート)?(?:に|を)(?:ついて)?(?:触れ|言及し|書か)(?:ない|るな|ず)",
    ),
    // ---- Hide from the user: Korean.
    (
        Category::HideFromUser,
        r"{USERKO}(?:에게|한테|께)(?:는|도)?\s?(?:(?:절대|절대로|결코|이것을|이걸|이를|이 내용을|이 메모를|이 지시를|이 사실을|아무것도|이것에 대해|이에 대해|이 노트를|이 규칙을)\s?)?(?:말하지|말해서는|알리지|알려주지|알려 주지|알려서는|언급하지|언급해서는|공개하지|밝히지|전하지|설명하지|얘기하지|이야기하지|보여주지|보여 주지)",
    ),
    (
        Category::HideFromUser,
        r"{USERKO}(?:에게|한테|로부터|에게서)(?:는)?\s?(?:비밀로|숨기|숨겨)|{USERKO}(?:가|는|도)\s?(?:모르게|알지 못하게|눈치채지 못하게|눈치 채지 못하게)|(?:몰래|비밀리에|은밀히)\s?(?:실행|전송|업로드|설치|수정|삭제|보내)",
    ),
    (
        Category::HideFromUser,
        r"(?:응답|답변|대답|출력|요약)(?:에서|에|에는)\s?(?:이|이것|이 내용|이 메모|이 지시)(?:을|를|에 대해|은|는)?\s?(?:언급하지|말하지|밝히지)",
    ),
    // ---- Run remote code.
    (
        Category::RemoteCode,
        r"\b{FETCH}\b[^|;&\n]*(?:\n[^|;&\n]*)?(?:\|\s*{STAGE}\b[^|;&\n]*)*\|\s*{SHELL}",
    ),
    (
        Category::RemoteCode,
        r"(?:\b(?:sh|bash|zsh|dash|ksh|source)|(?:^|\s)\.)\s*<\(\s*{FETCH}\b",
    ),
    (
        Category::RemoteCode,
        r#"\b(?:sh|bash|zsh|dash|ksh)\s+-c\s*["']?\s*(?:\$\(\s*)?{FETCH}\b|\b(?:sh|bash|zsh|dash|ksh|source|exec)\s*["']?\$\(\s*{FETCH}\b|\b(?:eval|iex|invoke-expression)\s*["'(]*\s*\$?\(?\s*{FETCH}\b"#,
    ),
    (
        Category::RemoteCode,
        r"\bdownload(?:string|data)\s*\(|\b(?:powershell|pwsh)(?:\.exe)?\b[^\n]*\b(?:downloadstring|downloadfile|iwr|irm|invoke-webrequest|invoke-restmethod|start-bitstransfer)\b",
    ),
    (
        Category::RemoteCode,
        r"\b(?:iex|invoke-expression)\b[^\n]*\b(?:frombase64string|iwr|irm|invoke-webrequest|invoke-restmethod|net\.webclient)\b|\b(?:frombase64string|net\.webclient)\b[^\n]*\b(?:iex|invoke-expression)\b",
    ),
    (
        Category::RemoteCode,
        r"\b(?:powershell|pwsh)(?:\.exe)?\b[^\n]* -(?:e|ec|en|enc|enco|encodedcommand) [a-z0-9+/=]{16,}",
    ),
    (
        Category::RemoteCode,
        r"\bbase64 (?:-d|--decode|-di|-id)\b[^|;&\n]*(?:\|\s*{STAGE}\b[^|;&\n]*)*\|\s*{SHELL}|\bopenssl\b[^|;&\n]* -d\b[^|;&\n]*\|\s*{SHELL}",
    ),
    (
        Category::RemoteCode,
        r"\b(?:sh|bash|zsh|dash|eval|source|python[0-9.]*)\b[^;&\n]{0,40}(?:<<<|\$\(|<\()[^\n]*\bbase64 (?:-d|--decode)\b",
    ),
    (
        Category::RemoteCode,
        r"\b(?:exec|eval)\s*\([^\n]*\b(?:b64decode|urlopen|urllib\.request|requests\.get|httpx\.get)\b",
    ),
    (
        Category::RemoteCode,
        r"\b(?:curl\b[^|;&\n]* -(?:[a-z]*o|-output|-remote-name)\b|wget\b)[^|;&\n]*(?:&&|;)\s*(?:chmod \+x \S+\s*(?:&&|;)\s*)?(?:sudo )?(?:(?:sh|bash|zsh|source|python[0-9.]*|perl|ruby|node) \S+|\. \S+|\.?/\S+)",
    ),
    (
        Category::RemoteCode,
        r"\b(?:download|fetch|grab)\w*(?: (?:it|the script|this))? (?:and|then|&) (?:run|execute|exec|source|pipe)\w*\b[^\n]*https?://|\b(?:run|execute|exec|source)\w* (?:the )?(?:script|code|payload|installer|binary) (?:at|from|hosted at|located at|served at|found at) https?://",
    ),
    (
        Category::RemoteCode,
        r"https?://\S+\.(?:sh|ps1|bat|cmd|exe|py)\b[^\n]{0,40}(?:执行|執行|运行|運行|実行|실행)|(?:下载|下載)(?:并|並|后|後|然后|然後)?(?:执行|執行|运行|運行)|ダウンロードして(?:実行|起動)|다운로드(?:하여|해서|한 후|한 뒤|하고)\s?실행|다운받아\s?실행",
    ),
    (
        Category::RemoteCode,
        r"\b(?:bash|sh) -i\b[^\n]*/dev/tcp/|>&\s*/dev/tcp/|\bnc(?:at)?\b[^\n]* -e \S*sh\b|\bmkfifo\b[^\n]*\|\s*nc\b",
    ),
    // ---- Exfiltration.
    (
        Category::Exfiltration,
        r"\b{VERBEN}\b[^\n]*?{SECRET}[^\n]*?\b(?:to|into|at|via|towards|onto)\b[^\n]*?{DEST}",
    ),
    (
        Category::Exfiltration,
        r"{SECRET}[^\n]*?{VERBCJK}[^\n]*?{DEST}|{VERBCJK}[^\n]*?{SECRET}[^\n]*?{DEST}|{SECRET}[^\n]*?{DEST}[^\n]*?{VERBCJK}",
    ),
    (
        Category::Exfiltration,
        r"\b(?:curl|wget|https?|httpie|xh|invoke-webrequest|iwr|invoke-restmethod|irm)\b[^\n]*?(?: -(?:d|f|t|-data(?:-binary|-raw|-urlencode)?|-form|-upload-file|-post-data|-post-file|-body-data|-body-file|body)\b| -(?:method|x) post\b)[^\n]*?(?:\$\(\s*(?:env|printenv|set|cat)\b|@~?/?\.[a-z]|@/etc/|@~/|\$\{?[a-z_]*(?:token|key|secret|pass|credential)|~/\.ssh|/etc/passwd|\.aws/credentials|\bid_rsa\b|\$env:)",
    ),
    (
        Category::Exfiltration,
        r"(?:\b(?:env|printenv|set)\b|\bcat\b[^|\n]*(?:\.env\b|\.ssh|id_rsa|credentials|\.netrc|\.npmrc|\.pypirc|/etc/passwd|/etc/shadow|\.git-credentials|history))[^|\n]*\|\s*(?:curl|wget|nc|ncat|netcat|socat|openssl s_client|telnet|mail|sendmail)\b",
    ),
    // ---- Role markup.
    (
        Category::RoleMarkup,
        r"<\|[a-z_]{2,40}\|>|\[/?inst\]|<</?sys>>",
    ),
    (
        Category::RoleMarkup,
        r"(?m)^\s*#{1,6}\s*(?:system|assistant|instructions?|developer|user|human)(?:\s+(?:prompt|message|instructions?))?\s*:",
    ),
    (
        Category::RoleMarkup,
        r"(?m)^\s*(?:assistant|human)\s*:\s|^\s*system\s*:\s*(?:you|ignore|new|the user|always|never|from now|disregard|forget|important|override|note to)",
    ),
    (
        Category::RoleMarkup,
        r#""role"\s*:\s*"(?:system|developer)"|\[(?:system (?:message|note|prompt|instruction|override)|system|assistant|developer)\]\s*:"#,
    ),
];

/// Negations that, just before a send verb, make an exfiltration pattern a
/// warning rather than an order ("never send tokens to ...").
static NEGATED_SEND: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&ascii_boundaries(r"(?:\bnever|\bnot|n't|\bavoid|\bno|不要|别|別|不能|禁止|切勿|勿|绝不|絕不|请勿|請勿|不得|しない|するな|ないで|しては|禁止|하지 마|하지 않|금지|안 된|않)\s*(?:ever\s*)?(?:to\s*)?\S*\s*$"))
        .expect("negation pattern")
});
/// Negations written after a CJK verb (送信しないで, 보내지 마).
static NEGATED_AFTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\S{0,3}(?:しない|するな|ないで|しては|禁止|지 마|지 않|면 안|금지)")
        .expect("negation-after pattern")
});

struct Check {
    category: Category,
    re: Regex,
}

static COMPILED: LazyLock<Vec<Check>> = LazyLock::new(|| {
    CHECKS
        .iter()
        .map(|&(category, source)| Check {
            category,
            re: Regex::new(&expand(source))
                .unwrap_or_else(|e| panic!("content_scan pattern {source:?}: {e}")),
        })
        .collect()
});

/// Splices the `{NAME}` pieces and turns each literal space into `\s+`.
fn expand(source: &str) -> String {
    let mut s = source.to_string();
    // Pieces may use other pieces; two rounds cover the nesting used here.
    for _ in 0..2 {
        for (name, piece) in PIECES {
            s = s.replace(&format!("{{{name}}}"), piece);
        }
    }
    // ASCII word boundaries: a Unicode `\b` makes the fast DFA engines give
    // up on non-ASCII text (CJK lines), costing a hundredfold.
    ascii_boundaries(&s.replace(' ', r"\s+"))
}

/// `\b` as an ASCII word boundary (see [`expand`]).
pub fn ascii_boundaries(pattern: &str) -> String {
    pattern.replace(r"\b", r"(?-u:\b)")
}

/// Adds every match in `text` (folded, markup seen through) to `found`.
pub fn find(text: &str, found: &mut Vec<Finding>) {
    for check in COMPILED.iter() {
        for m in check.re.find_iter(text) {
            if check.category == Category::Exfiltration && negated(text, m.start(), m.end()) {
                continue;
            }
            let lead = m.as_str().len() - m.as_str().trim_start().len();
            let tail = m.as_str().len() - m.as_str().trim_end().len();
            found.push(Finding {
                line: line_at(text, m.start() + lead),
                last_line: line_at(text, m.end() - tail),
                category: check.category,
            });
        }
    }
}

fn negated(text: &str, start: usize, end: usize) -> bool {
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let before_from = floor_char(text, start.saturating_sub(24).max(line_start));
    let line_end = text[end..].find('\n').map_or(text.len(), |i| end + i);
    NEGATED_SEND.is_match(&text[before_from..start]) || NEGATED_AFTER.is_match(&text[end..line_end])
}

fn floor_char(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pattern_compiles() {
        assert_eq!(COMPILED.len(), CHECKS.len());
        assert!(!expand("{NEG} x").contains('{'));
    }
}
