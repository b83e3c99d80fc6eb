//! Japanese cues, matched as substrings of the sentence.

use super::signals::{Signals, any, masked, near, trimmed_end};

/// Words holding a cue that mean something else.
const MASKS: &[&str] = &[
    "ないです",
    "ないんです",
    "ないみたい",
    "ないけど",
    "必ずしも",
    "間違いない",
    "間違いなく",
    "違うファイル",
    "違う方法",
    "違うブランチ",
    "ないでいい",
    "ないでも",
    "ないでおい",
    "気にしないで",
    "心配しないで",
    "遠慮しないで",
    "いつもありがとう",
    "これから会議",
    "次から次",
];

/// Negative requests and rules: 使わないで, 触らないで, しないでください, 禁止.
const RULES: &[&str] = &[
    "ないで",
    "ないこと",
    "てはいけない",
    "ではいけない",
    "てはダメ",
    "ちゃダメ",
    "ちゃだめ",
    "てはだめ",
    "じゃダメ",
    "禁止",
    "厳禁",
    "必ず",
    "絶対に",
    "してはならない",
    "べからず",
    "使わない",
    "触らない",
    "いじらない",
    "変えない",
    "編集しない",
    "コミットしない",
    "プッシュしない",
    "入れない",
    "しなければならない",
    "なければいけない",
    "ようにして",
    "ようにしてください",
    "のはやめて",
    "のをやめて",
    "はやめて",
];

const HABITS: &[&str] = &["常に", "いつも", "毎回"];

const FACT_NOUNS: &[&str] = &[
    "コマンド",
    "スクリプト",
    "URL",
    "ポート",
    "ブランチ",
    "ディレクトリ",
    "フォルダ",
    "パス",
    "リポジトリ",
    "エンドポイント",
    "設定ファイル",
    "設定",
    "データベース",
    "DB",
    "バージョン",
    "パッケージマネージャ",
    "サーバー",
    "テスト",
    "ビルド",
    "リント",
    "フォーマット",
    "デプロイ",
    "ドキュメント",
    "マイグレーション",
];

const FACT_VERBS: &[&str] = &["は", "が"];

const FACT_PHRASES: &[&str] = &[
    "管理して",
    "一元管理",
    "で運用",
    "で統一",
    "仕様",
    "決まり",
    "ルール",
    "慣習",
    "を使って",
    "を使う",
    "を使います",
    "を使ってい",
    "で実行",
    "で動かし",
    "で走らせ",
    "で起動",
    "にあります",
    "にある",
    "に置いて",
    "に置く",
    "に置き",
    "に入って",
    "に入れて",
    "配下",
    "うちでは",
    "このリポジトリでは",
    "このプロジェクトでは",
    "我々は",
    "私たちは",
    "を採用",
    "で管理",
];

const CONTRASTS: &[&str] = &[
    "ではなく",
    "じゃなく",
    "じゃなくて",
    "の代わりに",
    "代わりに",
];

const LANGUAGES: &[&str] = &["日本語", "英語", "中国語", "韓国語", "ひらがな"];

const REPLY_WORDS: &[&str] = &[
    "答え",
    "返事",
    "返信",
    "回答",
    "話",
    "書",
    "お願い",
    "説明",
    "応答",
    "コメント",
    "やり取り",
    "対応",
    "返して",
];

const PREFERENCES: &[&str] = &[
    "好み",
    "方がいい",
    "ほうがいい",
    "方が好き",
    "好きです",
    "好きだ",
];

const CORRECTIONS: &[&str] = &[
    "違います",
    "違うよ",
    "違う、",
    "違う。",
    "違くて",
    "そうじゃなく",
    "そうではなく",
    "間違って",
    "間違い",
    "誤り",
    "実は",
];

const MARKERS: &[&str] = &[
    "以後",
    "今後",
    "これからは",
    "これからも",
    "次から",
    "次回から",
    "今度から",
    "今日以降",
    "これ以降",
    "今回以降",
    "毎回",
    "ずっと",
    "このリポジトリでは",
    "このプロジェクトでは",
    "覚えて",
    "原則",
    "デフォルト",
];

const DOMAIN: &[&str] = &[
    "回答",
    "返事",
    "返信",
    "応答",
    "説明",
    "ログ",
    "ファイル",
    "ディレクトリ",
    "フォルダ",
    "ブランチ",
    "コミット",
    "プッシュ",
    "テスト",
    "依存",
    "パッケージ",
    "ライブラリ",
    "モジュール",
    "コード",
    "関数",
    "設定",
    "マイグレーション",
    "データベース",
    "本番",
    "環境",
    "ドキュメント",
    "コメント",
    "ログ",
    "コマンド",
    "スクリプト",
    "ポート",
    "バージョン",
    "リリース",
    "デプロイ",
    "ビルド",
    "型",
    "インデント",
    "命名",
    "日本語",
    "英語",
    "リポジトリ",
    "メッセージ",
    "マージ",
];

const ONE_OFF: &[&str] = &[
    "待って",
    "ちょっと",
    "とりあえず",
    "一旦",
    "今回",
    "ここ",
    "今だけ",
    "試しに",
    "まだ",
    "修正して",
    "直して",
    "変えて",
    "追加して",
    "実装して",
    "リファクタ",
    "書き換えて",
    "置き換えて",
    "調べて",
    "分けて",
    "更新して",
];

const TRANSIENT: &[&str] = &[
    "問題",
    "動いて",
    "結果",
    "失敗",
    "エラー",
    "落ち",
    "クラッシュ",
    "返す",
    "返って",
    "動かない",
    "タイムアウト",
    "例外",
];

const ASIDES: &[&str] = &["しますね", "またね", "また今度", "気をつけます"];

const REQUESTS: &[&str] = &[
    "てくれますか",
    "てもらえますか",
    "てくれる？",
    "てくれない",
    "ていただけますか",
    "でくれますか",
    "てもらえる？",
];

pub fn read(text: &str, sig: &mut Signals) {
    let t = masked(text, MASKS);
    sig.rule |= any(&t, RULES);
    sig.habit |= any(&t, HABITS);
    sig.fact |= near(&t, FACT_NOUNS, FACT_VERBS, 1) || any(&t, FACT_PHRASES) || topic_is_value(&t);
    sig.contrast |= any(&t, CONTRASTS);
    sig.language |= near(&t, LANGUAGES, &["で"], 0) && near(&t, LANGUAGES, REPLY_WORDS, 4);
    sig.preference |= any(&t, PREFERENCES);
    sig.correction |= any(&t, CORRECTIONS) || trimmed_end(&t) == "違う";
    sig.marker |= any(&t, MARKERS);
    sig.domain |= any(&t, DOMAIN);
    sig.one_off |= any(&t, ONE_OFF);
    // "テストは全部通りました": a report of what happened.
    let end = trimmed_end(&t);
    sig.transient |= any(&t, TRANSIENT) || end.ends_with("ました") || end.ends_with("った");
    sig.aside |= any(&t, ASIDES) && !sig.rule;
    sig.request |= any(&t, REQUESTS);
    sig.asks_cjk |= asks(&t);
}

/// `XはYです`: a topic stated to be something (an anchor makes it strong).
fn topic_is_value(t: &str) -> bool {
    let end = trimmed_end(t);
    t.contains('は')
        && [
            "です",
            "だ",
            "である",
            "になっています",
            "になってます",
            "ています",
            "てます",
            "ております",
        ]
        .iter()
        .any(|e| end.ends_with(e))
}

/// A question mark, or か/の/っけ at the end.
fn asks(t: &str) -> bool {
    let end = trimmed_end(t);
    end.ends_with('？')
        || end.ends_with('?')
        || ["か", "かな", "かね", "の", "っけ"]
            .iter()
            .any(|p| end.ends_with(p))
}
