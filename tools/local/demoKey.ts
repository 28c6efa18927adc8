/** The function key the demo's local server checks (like `authLevel: 'function'` in Azure). Not a secret. */
export const DEMO_FUNCTION_KEY = 'demo-function-key';
