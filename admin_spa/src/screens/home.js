// Home: the live version, what waits for approval, caps near their limit, the last imports.
import { html } from "../html.js";
import { t, formatDateTime, formatPercent } from "../i18n.js";
import { api, early } from "../api.js";
import { href } from "../router.js";
import { Badge, Loadable, Page, useLoad } from "../components.js";

/** What home reads, in this order (boot.js FIRST_LOADS[""] asks for the same paths early). */
const READS = ["/health", "/publish", "/pacing", "/imports?limit=5"];

/** @param {any[]} answers in READS order */
const homeData = ([health, plan, pacing, imports]) => ({ health, plan, pacing, imports });

/** Home's data from boot's early answers, if every one of them came; else undefined. */
function earlyHome() {
  const answers = READS.map((path) => early(path));
  return answers.every((a) => a !== undefined) ? homeData(answers) : undefined;
}

export function Home() {
  const [load, retry] = useLoad(async () => homeData(await Promise.all(READS.map((path) => api.get(path)))), [], earlyHome());
  return html`<${Page} title=${t("nav.home")}>
    <${Loadable} load=${load} retry=${retry} empty=${() => false}>
      ${({ health, plan, pacing, imports }) => {
        const waiting = plan.changes.filter((c) => c.approval && ["requested", "missing", "stale"].includes(c.approval.status));
        const ready = plan.changes.filter((c) => c.ready);
        const warnings = pacing.caps.filter((c) => (c.share ?? 0) >= 0.8);
        return html`<div class="cards">
          <section class="card"><h2>${t("home.live")}</h2><p class="big">v${health.config_version}</p>
            <p><a href=${href("publish")}>${t("home.ready", { n: ready.length })}</a></p></section>
          <section class="card"><h2>${t("home.waiting")}</h2>
            ${waiting.length ? html`<ul>${waiting.map((c) => html`<li><a href=${href("campaigns", c.id)}>${c.id}</a> — ${t("approval." + c.approval.status)}</li>`)}</ul>` : html`<p>${t("home.none_waiting")}</p>`}</section>
          <section class="card"><h2>${t("home.caps")}</h2>
            ${warnings.length ? html`<ul>${warnings.map((c) => html`<li><${Badge} tone=${c.share >= 1 ? "bad" : "warn"}>${formatPercent(c.share)}<//> ${c.subject} · ${t("metric." + c.metric)} / ${t("period." + c.period)}</li>`)}</ul>` : html`<p>${t("home.caps_ok")}</p>`}
            <p><a href=${href("volume")}>${t("nav.volume")}</a></p></section>
          <section class="card"><h2>${t("home.imports")}</h2>
            ${imports.length ? html`<ul>${imports.map((j) => html`<li>${formatDateTime(j.started_at)} ${j.partner}/${t("dataset." + j.dataset)} — ${t("job." + j.status)}</li>`)}</ul>` : html`<p>${t("imports.none")}</p>`}
            <p><a href=${href("imports")}>${t("nav.imports")}</a></p></section>
        </div>`;
      }}
    <//>
  <//>`;
}
