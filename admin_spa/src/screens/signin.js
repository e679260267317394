// Sign-in: e-mail and password, then whatever Cognito asks next — a new password, TOTP set-up
// (the otpauth URI as text, and its secret), or a TOTP code. Also the dialog shown over the
// current screen when the API answers 401.
import { useState } from "preact/hooks";
import { html } from "../html.js";
import { t } from "../i18n.js";
import { Field } from "../components.js";
import { CognitoError, answerMfa, associateToken, otpauthUri, setNewPassword, signIn, verifyToken } from "../auth/cognito.js";

/** @param {unknown} error */
function message(error) {
  const code = error instanceof CognitoError ? error.code : "";
  if (code === "NotAuthorizedException" || code === "UserNotFoundException") return t("signin.wrong");
  if (code === "CodeMismatchException" || code === "EnableSoftwareTokenMFAException") return t("signin.bad_code");
  if (code === "InvalidPasswordException") return t("signin.weak_password");
  if (code === "PasswordResetRequiredException") return t("signin.reset_required");
  if (code === "TooManyRequestsException" || code === "LimitExceededException") return t("signin.too_many");
  if (code === "ExpiredCodeException" || /session/i.test(code)) return t("signin.expired");
  return t("signin.failed", { detail: error instanceof Error ? error.message : String(error) });
}

/**
 * @param {{onDone: (tokens: import("../auth/cognito.js").Tokens) => void, email?: string, dialog?: boolean}} props
 */
export function SignIn({ onDone, email: knownEmail = "", dialog = false }) {
  const [email, setEmail] = useState(knownEmail);
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [newPassword, setNewPasswordText] = useState("");
  const [step, setStep] = useState(/** @type {any} */ (null));
  const [setup, setSetup] = useState(/** @type {{secret: string, session: string} | null} */ (null));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");

  /** @param {() => Promise<any>} action */
  const run = async (action) => {
    setBusy(true);
    setError("");
    try {
      const next = await action();
      if (next.kind === "done") onDone(next.tokens);
      else {
        setStep(next);
        setCode("");
        if (next.kind === "mfa_setup") setSetup(await associateToken(next));
      }
    } catch (err) {
      setError(message(err));
    } finally {
      setBusy(false);
    }
  };

  /** @param {Event} e @param {() => Promise<any>} action */
  const submit = (e, action) => {
    e.preventDefault();
    if (!busy) run(action);
  };

  const alert = error ? html`<p class="notice error" role="alert"><span aria-hidden="true">⚠ </span>${error}</p>` : null;
  const button = (label) => html`<button type="submit" class="primary" disabled=${busy} aria-busy=${busy ? "true" : undefined}>${busy ? t("state.working") : label}</button>`;

  let body;
  if (!step) {
    body = html`<form onSubmit=${(e) => submit(e, () => signIn(email.trim(), password))} aria-describedby="signin-intro">
      <p id="signin-intro">${dialog ? t("signin.again") : t("signin.intro")}</p>
      <${Field} id="signin-email" label=${t("signin.email")}>
        <input id="signin-email" type="email" autocomplete="username" required value=${email}
          readOnly=${dialog && !!knownEmail} onInput=${(e) => setEmail(e.currentTarget.value)} />
      <//>
      <${Field} id="signin-password" label=${t("signin.password")}>
        <input id="signin-password" type="password" autocomplete="current-password" required value=${password}
          onInput=${(e) => setPassword(e.currentTarget.value)} />
      <//>
      ${alert}${button(t("signin.submit"))}
    </form>`;
  } else if (step.kind === "new_password") {
    body = html`<form onSubmit=${(e) => submit(e, () => setNewPassword(step, newPassword))}>
      <p>${t("signin.new_password_intro")}</p>
      <${Field} id="signin-new-password" label=${t("signin.new_password")} hint=${t("signin.password_policy")}>
        <input id="signin-new-password" type="password" autocomplete="new-password" required minlength="12"
          aria-describedby="signin-new-password-hint" value=${newPassword} onInput=${(e) => setNewPasswordText(e.currentTarget.value)} />
      <//>
      ${alert}${button(t("signin.set_password"))}
    </form>`;
  } else if (step.kind === "mfa_setup") {
    body = html`<form onSubmit=${(e) => submit(e, () => verifyToken(step, setup.session, code.trim()))}>
      <h2>${t("signin.mfa_setup")}</h2>
      <p>${t("signin.mfa_setup_intro")}</p>
      ${setup
        ? html`<dl class="otp">
            <dt>${t("signin.otpauth")}</dt><dd><code class="wrap" data-testid="otpauth">${otpauthUri(email, setup.secret)}</code></dd>
            <dt>${t("signin.secret")}</dt><dd><code class="wrap">${setup.secret}</code></dd>
          </dl>`
        : html`<p role="status">${t("state.loading")}</p>`}
      <${Field} id="signin-setup-code" label=${t("signin.code")}>
        <input id="signin-setup-code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" required
          value=${code} onInput=${(e) => setCode(e.currentTarget.value)} />
      <//>
      ${alert}${button(t("signin.verify"))}
    </form>`;
  } else {
    body = html`<form onSubmit=${(e) => submit(e, () => answerMfa(step, code.trim()))}>
      <p>${t("signin.mfa_intro")}</p>
      <${Field} id="signin-code" label=${t("signin.code")}>
        <input id="signin-code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" required
          value=${code} onInput=${(e) => setCode(e.currentTarget.value)} />
      <//>
      ${alert}${button(t("signin.verify"))}
    </form>`;
  }
  return html`<div class="signin">${body}</div>`;
}
