// Imports: upload a partner CSV through a presigned URL (with upload progress), then follow the
// import jobs: progress, counts, errors.csv.
import "../preloaded.js"; // app.js loaded these already: see preloaded.js
import { useEffect, useState } from "preact/hooks";
import { html } from "../html.js";
import { t, formatDateTime, formatNumber, formatPercent } from "../i18n.js";
import { api, errorAt, fieldErrors } from "../api.js";
import { me } from "../auth/session.js";
import { Badge, ErrorBox, Field, Loadable, Page, fieldId, useLoad } from "../components.js";
import { putWithProgress } from "../upload.js";

const DATASETS = ["profiles", "brand_usage", "optouts", "erasure"];

function Upload({ partners, onUploaded }) {
  const [partner, setPartner] = useState(partners[0] || "");
  const [dataset, setDataset] = useState("profiles");
  const [file, setFile] = useState(/** @type {File | null} */ (null));
  const [progress, setProgress] = useState(/** @type {number | null} */ (null));
  const [errors, setErrors] = useState(/** @type {Record<string, string>} */ ({}));
  const [done, setDone] = useState("");
  const admin = me.value?.role === "group-admin";
  const submit = async (e) => {
    e.preventDefault();
    setErrors({});
    setDone("");
    if (!file) return setErrors({ filename: t("imports.choose_file") });
    try {
      const upload = await api.post("/uploads", { partner, dataset, filename: file.name });
      setProgress(0);
      await putWithProgress(upload.url, file, upload.headers, setProgress);
      setProgress(1);
      setDone(t("imports.uploaded", { key: upload.key }));
      onUploaded();
    } catch (error) {
      setProgress(null);
      setErrors(fieldErrors(error));
    }
  };
  return html`<form class="panel" onSubmit=${submit} aria-labelledby="upload-title">
    <h2 id="upload-title">${t("imports.upload")}</h2>
    <div class="grid3">
      <${Field} id=${fieldId("partner")} label=${t("imports.partner")} error=${errorAt(errors, "partner")}>
        <select id=${fieldId("partner")} value=${partner} onChange=${(e) => setPartner(e.currentTarget.value)}>
          ${partners.map((p) => html`<option value=${p}>${p}</option>`)}
        </select>
      <//>
      <${Field} id=${fieldId("dataset")} label=${t("imports.dataset")} error=${errorAt(errors, "dataset")}>
        <select id=${fieldId("dataset")} value=${dataset} onChange=${(e) => setDataset(e.currentTarget.value)}>
          ${DATASETS.filter((d) => admin || !["optouts", "erasure"].includes(d)).map((d) => html`<option value=${d}>${t("dataset." + d)}</option>`)}
        </select>
      <//>
      <${Field} id=${fieldId("filename")} label=${t("imports.file")} error=${errorAt(errors, "filename")} hint=${t("imports.file_hint")}>
        <input id=${fieldId("filename")} type="file" accept=".csv,text/csv" aria-describedby=${fieldId("filename") + "-hint"}
          onChange=${(e) => setFile(e.currentTarget.files?.[0] || null)} />
      <//>
    </div>
    ${progress !== null ? html`<label class="progress">${t("imports.progress")} <progress max="1" value=${progress}>${formatPercent(progress)}</progress> ${formatPercent(progress)}</label>` : null}
    ${errors[""] ? html`<${ErrorBox} error=${new Error(errors[""])} />` : null}
    ${done ? html`<p class="ok-text" role="status">✓ ${done}</p>` : null}
    <button type="submit" class="primary" disabled=${progress !== null && progress < 1}>${t("imports.send")}</button>
  </form>`;
}

function statusBadge(job) {
  const tone = { succeeded: "ok", running: "info", failed: "bad", rejected: "bad" }[job.status] || "neutral";
  return html`<${Badge} tone=${tone}>${t("job." + job.status)}<//>`;
}

function ErrorsLink({ job }) {
  const [error, setError] = useState(/** @type {unknown} */ (null));
  const open = async () => {
    try {
      const { url } = await api.get(`/imports/${encodeURIComponent(job.job_id)}/errors`);
      location.assign(url);
    } catch (e) {
      setError(e);
    }
  };
  return html`<button type="button" class="small" onClick=${open}>${t("imports.errors_csv")}</button>${error ? html`<${ErrorBox} error=${error} />` : null}`;
}

export function Imports() {
  const [partners, retryPartners] = useLoad(() => api.get("/partners"), []);
  const [jobs, retryJobs] = useLoad(() => api.get("/imports?limit=50"), []);
  const running = jobs.status === "ready" && jobs.data.some((j) => j.status === "running");
  useEffect(() => {
    if (!running) return undefined;
    const timer = setInterval(retryJobs, 2000);
    return () => clearInterval(timer);
  }, [running]);
  return html`<${Page} title=${t("nav.imports")} actions=${html`<button type="button" onClick=${retryJobs}>${t("action.refresh")}</button>`}>
    ${me.value?.can_write ? html`<${Loadable} load=${partners} retry=${retryPartners} emptyText=${t("imports.no_partners")}>
      ${(list) => html`<${Upload} partners=${list.filter((p) => p.live).map((p) => p.id)} onUploaded=${() => setTimeout(retryJobs, 500)} />`}
    <//>` : null}
    <h2>${t("imports.jobs")}</h2>
    <${Loadable} load=${jobs} retry=${retryJobs} emptyText=${t("imports.none")}>
      ${(list) => html`<table class="list"><caption class="sr-only">${t("imports.jobs")}</caption>
        <thead><tr><th scope="col">${t("imports.file")}</th><th scope="col">${t("imports.dataset")}</th><th scope="col">${t("imports.status")}</th>
          <th scope="col">${t("imports.progress")}</th><th scope="col">${t("imports.counts")}</th><th scope="col">${t("imports.started")}</th><th scope="col">${t("imports.errors")}</th></tr></thead>
        <tbody>${list.map((j) => html`<tr data-job=${j.job_id} data-status=${j.status}>
          <td><code>${j.file_key.split("/").pop()}</code><br /><span class="hint">${j.partner}</span></td>
          <td>${t("dataset." + j.dataset)}</td>
          <td>${statusBadge(j)}${j.reason ? html`<br /><span class="detail">${j.reason}</span>` : null}</td>
          <td>${j.status === "running" ? html`<progress max="1" value=${j.progress ?? 0} aria-label=${t("imports.progress")}></progress> ` : null}${formatPercent(j.progress ?? (j.finished_at ? 1 : null))} · ${t("imports.rows", { n: formatNumber(j.rows_done) })}</td>
          <td>${t("imports.count_line", { read: formatNumber(j.counts?.read), imported: formatNumber(j.counts?.imported), rejected: formatNumber(j.counts?.rejected) })}</td>
          <td>${formatDateTime(j.started_at)}</td>
          <td>${j.has_errors ? html`<${ErrorsLink} job=${j} />` : "—"}</td></tr>`)}</tbody>
      </table>`}
    <//>
  <//>`;
}
