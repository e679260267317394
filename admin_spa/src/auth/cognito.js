// Signing in to the Cognito user pool from the browser: Cognito's JSON API, no SDK.
//
// - In AWS (config has no cognitoEndpoint) the app client allows SRP only: USER_SRP_AUTH, the
//   password never leaves the browser. The pool requires TOTP: MFA_SETUP on first sign-in,
//   SOFTWARE_TOKEN_MFA afterwards.
// - Locally (cognitoEndpoint set: the moto emulator) USER_PASSWORD_AUTH: the emulator accepts any
//   SRP proof, so a real password check can only happen there with the password itself.
import { config, cognitoEndpoint } from "../config.js";
import { claimSignature, clientKeys, passwordKey, timestamp } from "./srp.js";

/** @typedef {{idToken: string, accessToken: string, refreshToken: string, expiresAt: number}} Tokens */
/**
 * What a sign-in step answers: tokens, or the next challenge to show.
 * @typedef {{kind: "done", tokens: Tokens}
 *   | {kind: "new_password" | "mfa" | "mfa_setup", session: string, username: string}} Step
 */

export class CognitoError extends Error {
  /** @param {string} code @param {string} message */
  constructor(code, message) {
    super(message || code);
    this.code = code;
  }
}

/** @param {string} operation @param {Record<string, unknown>} body */
export async function call(operation, body) {
  const answer = await fetch(cognitoEndpoint(config), {
    method: "POST",
    headers: {
      "Content-Type": "application/x-amz-json-1.1",
      "X-Amz-Target": `AWSCognitoIdentityProviderService.${operation}`,
    },
    body: JSON.stringify(body),
  });
  const data = await answer.json().catch(() => ({}));
  if (!answer.ok) {
    const code = String(data.__type || answer.status).split("#").pop();
    throw new CognitoError(code, data.message || data.Message || "");
  }
  return data;
}

/** @param {any} result @param {string} [refreshToken] @returns {Tokens} */
function tokens(result, refreshToken) {
  return {
    idToken: result.IdToken,
    accessToken: result.AccessToken,
    refreshToken: result.RefreshToken || refreshToken,
    expiresAt: Date.now() + (result.ExpiresIn || 3600) * 1000,
  };
}

/** @param {any} answer @param {string} username @returns {Step} */
function step(answer, username) {
  if (answer.AuthenticationResult) return { kind: "done", tokens: tokens(answer.AuthenticationResult) };
  const name = answer.ChallengeName;
  const user = answer.ChallengeParameters?.USER_ID_FOR_SRP || answer.ChallengeParameters?.USERNAME || username;
  const kinds = { NEW_PASSWORD_REQUIRED: "new_password", SOFTWARE_TOKEN_MFA: "mfa", MFA_SETUP: "mfa_setup" };
  if (name in kinds) return { kind: kinds[name], session: answer.Session, username: user };
  throw new CognitoError("UnsupportedChallenge", name || "no tokens");
}

/** @param {string} username @param {string} password @returns {Promise<Step>} */
export async function signIn(username, password) {
  const clientId = config.userPoolClientId;
  if (config.cognitoEndpoint) {
    const answer = await call("InitiateAuth", {
      AuthFlow: "USER_PASSWORD_AUTH",
      ClientId: clientId,
      AuthParameters: { USERNAME: username, PASSWORD: password },
    });
    return step(answer, username);
  }
  const { a, A } = clientKeys();
  const challenge = await call("InitiateAuth", {
    AuthFlow: "USER_SRP_AUTH",
    ClientId: clientId,
    AuthParameters: { USERNAME: username, SRP_A: A.toString(16) },
  });
  if (challenge.ChallengeName !== "PASSWORD_VERIFIER") return step(challenge, username);
  const p = challenge.ChallengeParameters;
  const poolName = config.userPoolId.split("_")[1];
  const key = await passwordKey({
    poolName,
    userId: p.USER_ID_FOR_SRP,
    password,
    a,
    A,
    B: BigInt("0x" + p.SRP_B),
    salt: p.SALT,
  });
  const time = timestamp();
  const answer = await call("RespondToAuthChallenge", {
    ChallengeName: "PASSWORD_VERIFIER",
    ClientId: clientId,
    Session: challenge.Session,
    ChallengeResponses: {
      USERNAME: p.USER_ID_FOR_SRP,
      PASSWORD_CLAIM_SECRET_BLOCK: p.SECRET_BLOCK,
      TIMESTAMP: time,
      PASSWORD_CLAIM_SIGNATURE: await claimSignature(key, poolName, p.USER_ID_FOR_SRP, p.SECRET_BLOCK, time),
    },
  });
  return step(answer, p.USER_ID_FOR_SRP);
}

/** @param {Step & {session: string, username: string}} from @param {string} name @param {Record<string, string>} responses */
async function respond(from, name, responses) {
  const answer = await call("RespondToAuthChallenge", {
    ChallengeName: name,
    ClientId: config.userPoolClientId,
    Session: from.session,
    ChallengeResponses: { USERNAME: from.username, ...responses },
  });
  return step(answer, from.username);
}

/** NEW_PASSWORD_REQUIRED. @param {any} from @param {string} password */
export function setNewPassword(from, password) {
  return respond(from, "NEW_PASSWORD_REQUIRED", { NEW_PASSWORD: password });
}

/** SOFTWARE_TOKEN_MFA. @param {any} from @param {string} code */
export function answerMfa(from, code) {
  return respond(from, "SOFTWARE_TOKEN_MFA", { SOFTWARE_TOKEN_MFA_CODE: code });
}

/** MFA_SETUP, first half: a new TOTP secret (and the session to verify it with). @param {any} from */
export async function associateToken(from) {
  const answer = await call("AssociateSoftwareToken", { Session: from.session });
  return { secret: String(answer.SecretCode), session: String(answer.Session || from.session) };
}

/** The otpauth URI an authenticator app reads. @param {string} email @param {string} secret */
export function otpauthUri(email, secret) {
  return `otpauth://totp/${encodeURIComponent("xsell:" + email)}?secret=${secret}&issuer=xsell`;
}

/** MFA_SETUP, second half: check a code from the app, then finish signing in. @param {any} from @param {string} session @param {string} code */
export async function verifyToken(from, session, code) {
  const verified = await call("VerifySoftwareToken", { Session: session, UserCode: code, FriendlyDeviceName: "xsell" });
  if (verified.Status !== "SUCCESS") throw new CognitoError("CodeMismatchException", "");
  return respond({ ...from, session: verified.Session || session }, "MFA_SETUP", {});
}

/** New ID and access tokens from the refresh token. @param {string} refreshToken @returns {Promise<Tokens>} */
export async function refresh(refreshToken) {
  const answer = await call("InitiateAuth", {
    AuthFlow: "REFRESH_TOKEN_AUTH",
    ClientId: config.userPoolClientId,
    AuthParameters: { REFRESH_TOKEN: refreshToken },
  });
  return tokens(answer.AuthenticationResult, refreshToken);
}

/** Revoke the refresh token on sign-out (best effort). @param {string} refreshToken */
export async function revoke(refreshToken) {
  // The local emulator has no RevokeToken (it answers without CORS headers, a console error);
  // there the tokens are only forgotten, which is all a local session needs.
  if (config.cognitoEndpoint) return;
  try {
    await call("RevokeToken", { ClientId: config.userPoolClientId, Token: refreshToken });
  } catch {
    /* the tokens are forgotten anyway */
  }
}
