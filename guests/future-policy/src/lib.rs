//! Test guest: built against a future major version of the contract.

wit_bindgen::generate!({ world: "trigger-policy", path: "wit" });

struct Future;

impl exports::csep::engine::policy::Guest for Future {
    fn decide(input: String) -> String {
        input
    }
}

export!(Future);
