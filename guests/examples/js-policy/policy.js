// A csep trigger policy in JavaScript: reflect on memory when the user's own words
// (not the context the client injects) mention one of the listed words.
// Stateless: the session and bucket states pass through as they came.

const DEFAULT_WORDS = ['remember', 'always', 'never'];

// A `guest-error` is thrown as its variant value: `result<_, guest-error>` turns it into `err`.
const invalid = (message) => ({ tag: 'invalid-settings', val: message });

function readSettings(settings) {
  let words = DEFAULT_WORDS;
  for (const { key, value } of settings) {
    if (key !== 'words') throw invalid(`unknown setting \`${key}\`; known: words`);
    if (value.tag !== 'text-list' || value.val.some((w) => !w.trim())) {
      throw invalid('`words` must be a list of non-empty strings');
    }
    words = value.val.map((w) => w.trim());
  }
  return { words };
}

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// Any case, not inside a longer word: "Always" counts, "alwaysOn" does not.
// (`\w` is ASCII only; StarlingMonkey, the engine inside, has no `\p{L}` escapes.)
const mentions = (text, word) => new RegExp(`(?<!\\w)${escape(word)}(?!\\w)`, 'i').test(text);

export const policy = {
  decide({ digest, sessionState, bucketState, settings }) {
    const { words } = readSettings(settings);
    const said = digest.userMessages.filter((m) => !m.injected).map((m) => m.text);
    const found = words.filter((w) => said.some((text) => mentions(text, w)));
    const reflect = found.length > 0;
    return {
      reflect,
      scopes: reflect ? ['memory'] : [],
      reasons: reflect ? ['user-words'] : [],
      summary: reflect
        ? `the user wrote ${found.map((w) => `"${w}"`).join(', ')}`
        : 'no listed word in the new messages',
      sessionState,
      bucketState,
    };
  },

  settle({ sessionState, bucketState, settings }) {
    readSettings(settings);
    return { sessionState, bucketState };
  },
};
