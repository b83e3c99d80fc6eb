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
}

impl SecretKind {
    /// Every kind, in declaration order.
    pub const ALL: [SecretKind; 14] = [
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
        }
    }
}

impl std::fmt::Display for SecretKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
