// sign.js — the provider's official library (the twilio npm package, pinned in
// package-lock.json) signs webhook requests for test_provider_signature.py, which must
// not compute them itself. stdin: {"token", "cases": [{"url", "params"} | {"url",
// "body"}]}, params an object whose repeated names hold arrays; stdout: the
// X-Twilio-Signature of each case, after the library has validated it too.
"use strict";
const twilio = require("twilio");

let input = "";
process.stdin.on("data", (d) => (input += d));
process.stdin.on("end", () => {
  const { token, cases } = JSON.parse(input);
  const signatures = cases.map((c) => {
    const params = c.body === undefined ? c.params : {};
    const signature = twilio.getExpectedTwilioSignature(token, c.url, params);
    const valid = c.body === undefined
      ? twilio.validateRequest(token, signature, c.url, params)
      : twilio.validateRequestWithBody(token, signature, c.url, c.body);
    if (!valid) {
      throw new Error(`the library refuses its own signature of ${c.url}`);
    }
    return signature;
  });
  process.stdout.write(JSON.stringify(signatures));
});
