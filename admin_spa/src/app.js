// The app shell: sign-in until signed in, then navigation, language switch, sign-out and the
// current screen; the sign-in dialog opens over it whenever the API answers 401.
import { useEffect, useState } from "preact/hooks";
import { html } from "./html.js";
import { lang, setLang, t } from "./i18n.js";
import { route, href } from "./router.js";
import { api, early } from "./api.js";
import { claims, me, reauth, setTokens, signOut, signedIn, tokens } from "./auth/session.js";
import { ErrorBox, focusPages, lazyScreen, useLoad } from "./components.js";
import { SignIn } from "./screens/signin.js";
import { Home } from "./screens/home.js";
import { Campaigns } from "./screens/campaigns.js";
import { Creatives } from "./screens/creatives.js";

// The screens a tab opens on most (home and the lists boot.js reads ahead) are in app.js; every
// other screen is fetched the first time it is shown (its own chunk, see build.mjs), so the
// editors, the tag renderer, the targeting builder and the report charts never delay the first screen.
const CampaignEdit = lazyScreen(() => import("./screens/campaign.js").then((m) => m.CampaignEdit));
const CreativeEdit = lazyScreen(() => import("./screens/creative.js").then((m) => m.CreativeEdit));
const Publish = lazyScreen(() => import("./screens/publish.js").then((m) => m.Publish));
const Versions = lazyScreen(() => import("./screens/versions.js").then((m) => m.Versions));
const Imports = lazyScreen(() => import("./screens/imports.js").then((m) => m.Imports));
const Volume = lazyScreen(() => import("./screens/volume.js").then((m) => m.Volume));
const Tag = lazyScreen(() => import("./screens/tag.js").then((m) => m.Tag));
const Preview = lazyScreen(() => import("./screens/preview.js").then((m) => m.Preview));
const Audit = lazyScreen(() => import("./screens/audit.js").then((m) => m.Audit));
const Users = lazyScreen(() => import("./screens/users.js").then((m) => m.Users));
const Settings = lazyScreen(() => import("./screens/settings.js").then((m) => m.Settings));
const Reports = lazyScreen(() => import("./screens/reports.js").then((m) => m.Reports));

const NAV = [
  ["", "nav.home"],
  ["campaigns", "nav.campaigns"],
  ["creatives", "nav.creatives"],
  ["publish", "nav.publish"],
  ["versions", "nav.versions"],
  ["imports", "nav.imports"],
  ["volume", "nav.volume"],
  ["reports", "nav.reports"],
  ["tag", "nav.tag"],
  ["preview", "nav.preview"],
  ["audit", "nav.audit"],
  ["users", "nav.users", "group-admin"],
  ["settings", "nav.settings"],
];

function Screen() {
  const [first, id] = route.value.parts;
  switch (first || "") {
    case "":
      return html`<${Home} />`;
    case "campaigns":
      return id ? html`<${CampaignEdit} key=${id} id=${id} />` : html`<${Campaigns} />`;
    case "creatives":
      return id ? html`<${CreativeEdit} key=${id} id=${id} />` : html`<${Creatives} />`;
    case "publish":
      return html`<${Publish} />`;
    case "versions":
      return html`<${Versions} />`;
    case "imports":
      return html`<${Imports} />`;
    case "volume":
      return html`<${Volume} />`;
    case "reports":
      return html`<${Reports} />`;
    case "tag":
      return html`<${Tag} />`;
    case "preview":
      return html`<${Preview} />`;
    case "audit":
      return html`<${Audit} />`;
    case "users":
      return html`<${Users} />`;
    case "settings":
      return html`<${Settings} />`;
    default:
      return html`<section class="page"><h1>${t("error.no_page")}</h1><p><a href="#/">${t("nav.home")}</a></p></section>`;
  }
}

/** Japanese and English; English is fetched on its first click, and if it cannot be, the page
 * stays in Japanese and says so. */
function LangSwitch() {
  const [failed, setFailed] = useState(false);
  const choose = (/** @type {"ja" | "en"} */ code) => {
    setFailed(false);
    setLang(code).catch(() => setFailed(true));
  };
  return html`<div class="lang" role="group" aria-label=${t("shell.language")}>
    ${["ja", "en"].map(
      (code) => html`<button type="button" aria-pressed=${lang.value === code ? "true" : "false"} lang=${code}
        onClick=${() => choose(/** @type {"ja" | "en"} */ (code))}>${code === "ja" ? "日本語" : "English"}</button>`,
    )}
    ${failed ? html`<p class="field-error lang-error" role="alert">${t("shell.language_failed")}</p>` : null}
  </div>`;
}

function ReauthDialog() {
  const pending = reauth.value;
  if (!pending) return null;
  const email = tokens.value ? claims(tokens.value.idToken).email : "";
  return html`<div class="overlay">
    <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="reauth-title">
      <h2 id="reauth-title">${t("signin.dialog_title")}</h2>
      <${SignIn} dialog email=${email} onDone=${(next) => {
        setTokens(next);
        reauth.value = null;
        pending.resolve();
      }} />
    </div>
  </div>`;
}

function Shell() {
  const [who, retry] = useLoad(() => api.get("/me"), [tokens.value?.idToken ? "in" : "out"], early("/me"));
  useEffect(() => {
    if (who.status === "ready") me.value = who.data;
  }, [who]);
  const current = route.value.parts[0] || "";
  const role = me.value?.role;
  return html`<div class="shell">
    <a class="skip" href="#main" onClick=${(e) => {
      e.preventDefault();
      document.getElementById("main")?.focus();
    }}>${t("shell.skip")}</a>
    <header class="top">
      <span class="brand">xsell <span class="sub">${t("shell.title")}</span></span>
      <${LangSwitch} />
      <span class="who">${me.value ? `${me.value.email} (${t("role." + me.value.role)}${me.value.brand ? " · " + me.value.brand : ""})` : ""}</span>
      <button type="button" onClick=${() => signOut()}>${t("shell.sign_out")}</button>
    </header>
    <nav aria-label=${t("shell.nav")}>
      <ul>
        ${NAV.filter(([, , only]) => !only || only === role).map(
          ([path, key]) => html`<li><a href=${path ? href(path) : "#/"} aria-current=${current === path ? "page" : undefined}>${t(key)}</a></li>`,
        )}
      </ul>
    </nav>
    <main id="main" tabindex="-1">
      ${who.status === "error" ? html`<${ErrorBox} error=${who.error} retry=${retry} />` : html`<${Screen} />`}
    </main>
    <${ReauthDialog} />
  </div>`;
}

export function App() {
  lang.value; // re-render on language change
  if (!signedIn.value) {
    focusPages(); // the screen after sign-in is a new screen for keyboard and screen-reader users
    return html`<main class="signin-page" id="main">
      <div class="card">
        <h1>xsell <span class="sub">${t("shell.title")}</span></h1>
        <${LangSwitch} />
        <${SignIn} onDone=${(next) => setTokens(next)} />
      </div>
    </main>`;
  }
  return html`<${Shell} />`;
}
