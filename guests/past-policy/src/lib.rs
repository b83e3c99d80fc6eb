//! Test guest: built against a past version of the contract (`csep:engine@0.0.3`).
//! A contract version this host no longer supports, for the host's version-check tests.

wit_bindgen::generate!({ world: "trigger-policy", path: "wit" });

struct Past;

impl exports::csep::engine::policy::Guest for Past {
    fn decide(input: String) -> String {
        input
    }
}

export!(Past);
