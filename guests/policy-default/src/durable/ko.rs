//! Korean cues, matched as substrings of the sentence.

use super::signals::{Signals, any, masked, near, trimmed_end};

/// Phrases holding a cue that are a courtesy or a plain "no".
const MASKS: &[&str] = &[
    "걱정하지 마",
    "걱정하지마",
    "신경 쓰지 마",
    "신경쓰지 마",
    "신경 쓰지마",
    "신경쓰지마",
    "서두르지 마",
    "아니요",
    "아니에요",
    "아닌가",
    "아니면",
    "아닐까",
    "다음에 봐",
    "다음에 또",
];

/// Prohibitions and obligations: 하지 마, 쓰지 말고, 금지, 반드시.
const RULES: &[&str] = &[
    "야 해",
    "야 돼",
    "야 합니다",
    "야 됩니다",
    "야 함",
    "야 한다",
    "지 마",
    "지마",
    "지 말",
    "지말",
    "면 안 돼",
    "면 안돼",
    "면 안 됩니다",
    "서는 안",
    "금지",
    "반드시",
    "절대",
    "무조건",
    "꼭 ",
    "해야 해",
    "해야 합니다",
    "해야 돼",
];

const HABITS: &[&str] = &["항상", "언제나", "매번"];

const FACT_NOUNS: &[&str] = &[
    "명령어",
    "명령",
    "커맨드",
    "스크립트",
    "주소",
    "URL",
    "포트",
    "브랜치",
    "디렉터리",
    "디렉토리",
    "폴더",
    "경로",
    "저장소",
    "레포",
    "엔드포인트",
    "설정 파일",
    "설정",
    "데이터베이스",
    "DB",
    "버전",
    "패키지 매니저",
    "서버",
    "테스트",
    "빌드",
    "린트",
    "포맷",
    "배포",
    "문서",
    "마이그레이션",
];

const FACT_VERBS: &[&str] = &["는", "은", "가 ", "이 "];

const FACT_PHRASES: &[&str] = &[
    "에서 관리",
    "로 관리",
    "으로 관리",
    "로 통일",
    "으로 통일",
    "규칙",
    "규정",
    "원칙",
    "에 있어",
    "에 있습니다",
    "에 있음",
    "에 있다",
    "에 있어요",
    "에 둬",
    "에 넣어",
    "에 위치",
    "우리는",
    "우리 팀은",
    "이 프로젝트는",
    "이 저장소는",
    "이 레포는",
    "로 돌려",
    "으로 돌려",
    "로 실행",
    "으로 실행",
    "로 빌드",
    "으로 빌드",
    "를 사용",
    "을 사용",
    "를 써",
    "을 써",
    "를 쓴다",
    "을 쓴다",
    "를 씁니다",
    "을 씁니다",
];

const CONTRASTS: &[&str] = &["대신", "말고", "아니라", "가 아니고", "이 아니고"];

const LANGUAGES: &[&str] = &["한국어", "한글", "영어", "중국어", "일본어"];

const REPLY_WORDS: &[&str] = &[
    "답",
    "대답",
    "말",
    "써",
    "작성",
    "설명",
    "응답",
    "대화",
    "얘기",
    "이야기",
    "주석",
    "해",
];

const PREFERENCES: &[&str] = &["선호", "좋아해", "좋아합니다", "편해", "좋겠어"];

const CORRECTIONS: &[&str] = &[
    "아니,",
    "아니야",
    "아니 ",
    "틀렸",
    "틀려",
    "잘못 알",
    "잘못됐",
    "그게 아니",
    "사실은",
    "실은",
];

const MARKERS: &[&str] = &[
    "앞으로",
    "이제부터",
    "이제부턴",
    "다음부터",
    "다음번부터",
    "다음에는",
    "매번",
    "기본적으로",
    "이 저장소에서는",
    "이 프로젝트에서는",
    "이 레포에서는",
    "기억해",
    "원칙",
];

const DOMAIN: &[&str] = &[
    "답변",
    "대답",
    "응답",
    "설명",
    "로그",
    "설정값",
    "파일",
    "디렉터리",
    "디렉토리",
    "폴더",
    "브랜치",
    "커밋",
    "푸시",
    "테스트",
    "의존성",
    "패키지",
    "라이브러리",
    "모듈",
    "코드",
    "함수",
    "설정",
    "마이그레이션",
    "데이터베이스",
    "운영",
    "환경",
    "문서",
    "주석",
    "로그",
    "명령",
    "스크립트",
    "포트",
    "버전",
    "배포",
    "빌드",
    "타입",
    "들여쓰기",
    "한국어",
    "영어",
    "저장소",
    "메시지",
    "머지",
];

const ONE_OFF: &[&str] = &[
    "지금",
    "이번",
    "여기",
    "일단",
    "한번",
    "한 번",
    "잠깐",
    "아직",
    "고쳐",
    "바꿔",
    "추가해",
    "구현해",
    "수정해",
    "리팩터",
    "봐줘",
    "찾아줘",
    "나눠",
];

const TRANSIENT: &[&str] = &[
    "문제",
    "결과",
    "출력",
    "실패",
    "에러",
    "오류",
    "반환",
    "크래시",
    "타임아웃",
    "죽어",
    "안 돼요",
];

const ASIDES: &[&str] = &["할게", "할게요", "하겠습니다", "조심할게"];

const REQUESTS: &[&str] = &["줄래", "줄 수 있", "주시겠어요", "주실래요", "줄래요"];

pub fn read(text: &str, sig: &mut Signals) {
    let t = masked(text, MASKS);
    sig.rule |= any(&t, RULES);
    sig.habit |= any(&t, HABITS);
    sig.fact |= near(&t, FACT_NOUNS, FACT_VERBS, 0) || any(&t, FACT_PHRASES) || topic_is_value(&t);
    sig.contrast |= any(&t, CONTRASTS);
    sig.language |= near(&t, LANGUAGES, &["로"], 0) && near(&t, LANGUAGES, REPLY_WORDS, 4);
    sig.preference |= any(&t, PREFERENCES);
    sig.correction |= any(&t, CORRECTIONS) || t.trim_start().starts_with("아니");
    sig.marker |= any(&t, MARKERS);
    sig.domain |= any(&t, DOMAIN);
    sig.one_off |= any(&t, ONE_OFF);
    // "README는 내가 업데이트했어": a report of what happened.
    let end = trimmed_end(&t);
    sig.transient |= any(&t, TRANSIENT)
        || [
            "했어",
            "었어",
            "았어",
            "했습니다",
            "었습니다",
            "았습니다",
            "했어요",
            "었어요",
        ]
        .iter()
        .any(|e| end.ends_with(e));
    sig.aside |= any(&t, ASIDES);
    sig.request |= any(&t, REQUESTS);
    sig.asks_cjk |= asks(&t);
}

/// `X는 Y야`: a topic stated to be something (an anchor makes it strong).
fn topic_is_value(t: &str) -> bool {
    let end = trimmed_end(t);
    (t.contains("는 ") || t.contains("은 "))
        && ["야", "이야", "입니다", "예요", "이에요", "임", "이다"]
            .iter()
            .any(|e| end.ends_with(e))
}

/// A question mark, or 까/니/나요 at the end.
fn asks(t: &str) -> bool {
    let end = trimmed_end(t);
    end.ends_with('？')
        || end.ends_with('?')
        || ["까", "니", "나요", "가요", "냐", "지요"]
            .iter()
            .any(|p| end.ends_with(p))
}
