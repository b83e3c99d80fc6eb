//! The kinds of secret the redactor recognises and their stable names.

/// What kind of secret a redaction replaced; the name appears in the marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SecretKind {
    OpenAiKey,
    AnthropicKey,
    GithubToken,
    AwsAccessKey,
    AwsSecretKey,
    SlackToken,
    StripeKey,
    BearerToken,
    Jwt,
    PemPrivateKey,
    UrlPassword,
    EnvAssignment,
    GoogleApiKey,
    GenericApiKey,
    /// A secret stated in prose: `the password is ...`, `密码是 ...`.
    ProseSecret,
    /// A token matched by a data rule; holds the rule's id.
    Rule(&'static str),
}

impl SecretKind {
    /// Every built-in kind, in declaration order (data rules come on top).
    pub const ALL: [SecretKind; 15] = [
        SecretKind::OpenAiKey,
        SecretKind::AnthropicKey,
        SecretKind::GithubToken,
        SecretKind::AwsAccessKey,
        SecretKind::AwsSecretKey,
        SecretKind::SlackToken,
        SecretKind::StripeKey,
        SecretKind::BearerToken,
        SecretKind::Jwt,
        SecretKind::PemPrivateKey,
        SecretKind::UrlPassword,
        SecretKind::EnvAssignment,
        SecretKind::GoogleApiKey,
        SecretKind::GenericApiKey,
        SecretKind::ProseSecret,
    ];

    /// Kebab-case name used inside `[REDACTED:<name>]`; stable, since stored text contains it.
    pub fn name(self) -> &'static str {
        match self {
            SecretKind::OpenAiKey => "openai-key",
            SecretKind::AnthropicKey => "anthropic-key",
            SecretKind::GithubToken => "github-token",
            SecretKind::AwsAccessKey => "aws-access-key",
            SecretKind::AwsSecretKey => "aws-secret-key",
            SecretKind::SlackToken => "slack-token",
            SecretKind::StripeKey => "stripe-key",
            SecretKind::BearerToken => "bearer-token",
            SecretKind::Jwt => "jwt",
            SecretKind::PemPrivateKey => "pem-private-key",
            SecretKind::UrlPassword => "url-password",
            SecretKind::EnvAssignment => "env-assignment",
            SecretKind::GoogleApiKey => "google-api-key",
            SecretKind::GenericApiKey => "generic-api-key",
            SecretKind::ProseSecret => "prose-secret",
            SecretKind::Rule(id) => id,
        }
    }

    /// How much a kind tells about the secret, for when two detectors
    /// cover the same bytes: a named vendor format beats a URL password or
    /// an assignment, which beat a secret found in prose.
    pub(crate) fn specificity(self) -> u8 {
        match self {
            SecretKind::ProseSecret => 0,
            SecretKind::EnvAssignment | SecretKind::GenericApiKey => 1,
            SecretKind::BearerToken | SecretKind::UrlPassword => 2,
            _ => 3,
        }
    }
}

impl std::fmt::Display for SecretKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
