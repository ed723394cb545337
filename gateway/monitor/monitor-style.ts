/**
 * The monitor's style sheet. A story's sequence picture is a grid of seven columns: the
 * browser's, the gateway's and the apps' lifelines at the middle of columns 1–2, 3–4 and
 * 5–6 (drawn as backgrounds at 2/14, 6/14 and 10/14 of the width), the timings in column 7.
 * An arrow spans from one lifeline to the next. No inline style: the CSP allows none.
 */
export const MONITOR_STYLE = `main.monitor { max-width: 84rem; margin: 1.5rem auto; }
.bar { display: flex; align-items: baseline; gap: 1rem; flex-wrap: wrap; }
.bar h1 { margin: 0 auto 0 0; font-size: 1.4rem; }
.live { font-size: 0.9rem; color: #888; }
.live.on { color: #2a8a4a; }
.counters { display: grid; grid-template-columns: repeat(6, 1fr); gap: 0.5rem; margin: 1rem 0; }
.counters div { border: 1px solid #8884; border-radius: 6px; padding: 0.4rem 0.6rem; }
.counters dt { font-size: 0.75rem; color: #888; }
.counters dd { margin: 0; font-size: 1.3rem; font-variant-numeric: tabular-nums; }
.filters { display: flex; gap: 0.75rem; flex-wrap: wrap; margin-bottom: 1rem; }
.filters label { display: grid; gap: 0.2rem; font-size: 0.85rem; flex: 1 1 12rem; }
.panes { display: grid; grid-template-columns: minmax(22rem, 2fr) 3fr; gap: 1.5rem; }
@media (max-width: 60rem) {
  .panes { grid-template-columns: 1fr; }
  .counters { grid-template-columns: repeat(3, 1fr); }
}
.panes h2 { font-size: 1.05rem; margin: 0 0 0.5rem; }
.stories { list-style: none; margin: 0; padding: 0; display: grid; gap: 0.6rem; }
.story { border: 1px solid #8884; border-left: 4px solid #888; border-radius: 6px;
  padding: 0.4rem 0.6rem; font-size: 0.85rem; }
.story.state-pushed { border-left-color: #2a8a4a; }
.story.state-answered, .story.state-waiting { border-left-color: #c98a14; }
.story.state-refused, .story.state-unanswered { border-left-color: #c62828;
  background: #c6282814; }
.story-head { margin: 0 0 0.3rem; }
.story .state { font-weight: 600; }
.story.state-unanswered .state, .story.state-refused .state { color: #c62828; }
.sequence { list-style: none; margin: 0; padding: 0;
  background:
    linear-gradient(#8887, #8887) 14.29% 0 / 1px 100% no-repeat,
    linear-gradient(#8887, #8887) 42.86% 0 / 1px 100% no-repeat,
    linear-gradient(#8887, #8887) 71.43% 0 / 1px 100% no-repeat; }
.sequence li { display: grid; grid-template-columns: repeat(7, 1fr); align-items: end;
  min-height: 1.6rem; }
.sequence .lanes span { grid-row: 1; text-align: center; font-size: 0.7rem; color: #888; }
.lanes .browser { grid-column: 1 / 3; }
.lanes .gateway { grid-column: 3 / 5; }
.lanes .apps { grid-column: 5 / 7; }
.arrow { grid-row: 1; position: relative; border-bottom: 2px solid currentColor;
  text-align: center; font-size: 0.72rem; line-height: 1.2; padding-bottom: 1px;
  white-space: nowrap; overflow: visible; }
.arrow::after { content: ''; position: absolute; bottom: -5px; border: 4px solid transparent; }
.arrow.right::after { right: -2px; border-left: 7px solid currentColor; border-right: 0; }
.arrow.left::after { left: -2px; border-right: 7px solid currentColor; border-left: 0; }
.arrow.gateway-apps { grid-column: 4 / 6; }
.arrow.browser-gateway { grid-column: 2 / 4; }
.arrow.at-gateway { grid-column: 3 / 5; border-bottom: 0; color: #c62828; font-weight: 600; }
.step-login .arrow { color: #1f6fb2; }
.step-display .arrow { color: #888; }
.step-ready .arrow { color: #2a8a4a; }
.step-ready.lost .arrow { color: #888; border-bottom-style: dashed; }
.step-pushed .arrow { color: #7b3fb2; }
.timing { grid-column: 7; grid-row: 1; text-align: right; font-size: 0.75rem;
  font-variant-numeric: tabular-nums; color: #888; }
.reason { grid-column: 1 / 8; grid-row: 2; font-size: 0.75rem; color: #c62828;
  padding-left: 0.5rem; overflow-wrap: anywhere; }
.step-ready.lost .reason { color: #888; }
.sequence .more { display: block; font-size: 0.75rem; color: #888; text-align: center; }
.records { font-size: 0.8rem; table-layout: fixed; }
.records th:nth-child(1) { width: 7rem; }
.records th:nth-child(2) { width: 10rem; }
.records th:nth-child(3) { width: 5rem; }
.records th:nth-child(4) { width: 5.5rem; }
.records td { overflow-wrap: anywhere; vertical-align: top; padding: 0.25rem 0.4rem; }
.records td.session { font-family: ui-monospace, monospace; cursor: pointer; }
.records tr.kind-drop td { color: #c62828; }
.records tr.kind-pushed td.topic { color: #7b3fb2; }
.pager { display: flex; gap: 1rem; align-items: center; justify-content: center;
  margin-top: 0.75rem; font-size: 0.85rem; }
`;
