// Constants shared by the local fake of the Anthropic Messages API and the tests that talk to it.

/**
 * The only API key the fake Messages API accepts (by default). Shaped like a real key so that
 * redaction of `sk-ant-…` tokens is exercised too; it grants nothing anywhere else.
 */
export const FAKE_ANTHROPIC_API_KEY = "sk-ant-api03-edgecrew-fake-key-000000000000";

/** Model id the tests ask the fake for; the fake echoes whatever model it is sent. */
export const FAKE_ANTHROPIC_MODEL = "claude-fake-1";
