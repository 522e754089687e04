// The marketer's page (/campaigns): segments with a live count, the campaign list, the editor of a draft and
// the live report of a launched campaign. See campaigns_segments.js, campaigns_editor.js, campaigns_report.js.

import { call } from "./admin_api.js";
import { closeEditor, drawSegmentChoices, openEditor, setupEditor } from "./campaigns_editor.js";
import { closeReport, openReport, setupReport } from "./campaigns_report.js";
import { loadSegments, segments, setupSegments } from "./campaigns_segments.js";
import { $, clear, h, notify } from "./dom.js";
import { full, t } from "./i18n.js";

const boot = JSON.parse($("#hub-boot").textContent);
let campaigns = [];

function campaignRow(campaign) {
  const draft = campaign.status === "draft";
  const when = campaign.launched_at || campaign.created_at;
  return h("li", { class: "admin-row campaign-row", dataset: { id: campaign.id, status: campaign.status } },
    h("div", { class: "admin-row-main" },
      h("strong", { class: "campaign-name", text: campaign.name }),
      h("span", { class: `badge status-${campaign.status}`, text: t(`cmp_status_${campaign.status}`) }),
      h("span", { class: "muted small", text: full(when) })),
    h("div", { class: "admin-row-actions" },
      h("button", { type: "button", class: "btn btn-small", text: draft ? t("cmp_edit") : t("cmp_report"),
        "aria-label": t(draft ? "cmp_edit_named" : "cmp_report_named", { name: campaign.name }),
        onclick: () => show(campaign) })));
}

function show(campaign) {
  if (campaign.status === "draft") {
    closeReport();
    openEditor(campaign);
  } else {
    closeEditor();
    openReport(campaign);
  }
}

async function loadCampaigns() {
  try {
    campaigns = await call("/api/v1/campaigns");
  } catch (error) {
    notify(error.message, true);
    return;
  }
  const list = clear($("#campaign-list"));
  if (!campaigns.length) list.append(h("li", { class: "empty", text: t("cmp_no_campaigns") }));
  list.append(...campaigns.map(campaignRow));
}

setupSegments({ boot, notify, onChange: () => drawSegmentChoices() });
setupEditor({
  boot, notify, segments,
  afterSave: async (saved) => { notify(t("cmp_campaign_saved", { name: saved.name })); await loadCampaigns(); },
  afterLaunch: async (launched) => { await loadCampaigns(); openReport(launched); },
});
setupReport({ notify, afterChange: () => loadCampaigns() });
$("#new-campaign").addEventListener("click", () => { closeReport(); openEditor(null); });

/** Arrived from elsewhere with a segment (the lifecycle report's "send a campaign"): a new campaign to it. */
function startFromLink() {
  const wanted = new URLSearchParams(window.location.search).get("segment");
  if (!wanted || !/^[0-9]+$/.test(wanted) || window.location.hash !== "#new-campaign") return;
  openEditor(null);
  const choice = $("#campaign-segment");
  if ([...choice.options].some((option) => option.value === wanted)) {
    choice.value = wanted;
    choice.dispatchEvent(new Event("change", { bubbles: true }));
  }
}

Promise.all([loadSegments(), loadCampaigns()]).then(() => {
  startFromLink();
  document.body.dataset.ready = "true";
}).catch((error) => notify(error.message, true));
