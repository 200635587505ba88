/**
 * The page's style sheet, served as `/assets/app.<hash>.css` (CSP allows no
 * inline style). Dark by default, light when the system asks; readable from
 * across a room; one column on a phone.
 *
 * @module
 */
export const STYLES_CSS = String.raw`
:root{--bg:#101318;--panel:#191e26;--panel2:#222833;--text:#e8ebf0;--muted:#9aa4b2;--line:#2e3643;
--accent:#4fa3ff;--accent-text:#06121f;--ok:#3ecf8e;--warn:#f5b942;--bad:#ff6b6b;--focus:#ffd166;
color-scheme:dark;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif}
@media (prefers-color-scheme:light){:root{--bg:#f5f7fa;--panel:#fff;--panel2:#eef1f5;--text:#151a21;
--muted:#566170;--line:#d5dbe3;--accent:#0b63ce;--accent-text:#fff;--ok:#137a4b;--warn:#8a5a00;
--bad:#b3261e;--focus:#b35c00;color-scheme:light}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--text)}
a{color:var(--accent)}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.sr-only{position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}
.skip{position:absolute;left:-999px;top:0;background:var(--panel);padding:.5rem 1rem;z-index:10}
.skip:focus{left:.5rem}
.top{display:flex;flex-wrap:wrap;align-items:center;gap:.25rem 1rem;padding:.5rem 1rem;background:var(--panel);border-bottom:1px solid var(--line);position:sticky;top:0;z-index:5}
.brand{font-weight:800;font-size:1.15rem;color:var(--text);text-decoration:none;letter-spacing:.02em}
.me{color:var(--muted)}
.sections{display:flex;flex-wrap:wrap;gap:.25rem;flex:1}
.sections a{padding:.35rem .7rem;border-radius:.4rem;color:var(--text);text-decoration:none}
.sections a:hover{background:var(--panel2)}
.sections a[aria-current=page]{background:var(--accent);color:var(--accent-text)}
.count{opacity:.8;font-variant-numeric:tabular-nums}
.conn{font-size:.8rem;color:var(--muted)}
.conn::before{content:"";display:inline-block;width:.6rem;height:.6rem;border-radius:50%;background:var(--warn);margin-right:.35rem}
.conn[data-state=live]::before{background:var(--ok)}
.conn[data-state=lost]::before{background:var(--bad)}
.banner{background:var(--bad);color:#fff;padding:.5rem 1rem}
.banner p{margin:.2rem 0}
.news{margin:0;padding:0 1rem;min-height:1.6rem;line-height:1.6rem;color:var(--muted);font-size:.9rem}
.alerts{position:fixed;right:1rem;bottom:1rem;display:flex;flex-direction:column;gap:.5rem;z-index:20;max-width:min(28rem,calc(100% - 2rem))}
.alert{background:var(--bad);color:#fff;padding:.6rem .8rem;border-radius:.4rem;display:flex;gap:.5rem;align-items:start}
.alert p{margin:0;flex:1}
.alert button{background:transparent;color:#fff;border:1px solid #fff8;padding:.1rem .5rem}
.page{max-width:1500px;margin:0 auto;padding:0 1rem 3rem}
main{outline:none}
h1{font-size:1.5rem;margin:.75rem 0}
h2{font-size:1.2rem;margin:1.5rem 0 .5rem}
.toolbar{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;margin:.75rem 0}
.toolbar input[type=search]{flex:1;min-width:12rem}
input,select{font:inherit;color:var(--text);background:var(--panel2);border:1px solid var(--line);border-radius:.4rem;padding:.45rem .6rem}
button{font:inherit;cursor:pointer;border-radius:.4rem;padding:.45rem .9rem;border:1px solid transparent}
button.primary{background:var(--accent);color:var(--accent-text);font-weight:650}
button.secondary{background:var(--panel2);color:var(--text);border-color:var(--line)}
button.danger{background:transparent;color:var(--bad);border-color:var(--bad)}
button[aria-disabled=true]{opacity:.6;cursor:progress}
html.js .nojs{display:none}
.filters{display:flex;flex-wrap:wrap;gap:.35rem;margin:.5rem 0}
.filters a{padding:.3rem .75rem;border-radius:1rem;border:1px solid var(--line);text-decoration:none;color:var(--text)}
.filters a[aria-current=page]{background:var(--accent);color:var(--accent-text);border-color:var(--accent)}
.summary,.empty{color:var(--muted)}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(15rem,1fr));gap:.9rem}
.card{display:flex;gap:.75rem;background:var(--panel);border:1px solid var(--line);border-radius:.6rem;padding:.7rem}
.card h3{margin:0 0 .2rem;font-size:1.05rem;line-height:1.25;overflow-wrap:anywhere}
.card h3 a{color:var(--text);text-decoration:none}
.card h3 a:hover{text-decoration:underline}
.card-body{flex:1;min-width:0;display:flex;flex-direction:column;gap:.2rem}
.card-body button{align-self:start;margin-top:auto}
.meta{margin:0;color:var(--muted);font-size:.88rem}
.cover{width:72px;height:96px;border-radius:.35rem;object-fit:cover;flex:none;background:var(--panel2)}
.cover.big{width:180px;height:240px}
.placeholder{display:flex;align-items:center;justify-content:center;font-weight:800;font-size:1.5rem;color:#fffc}
.placeholder.big{font-size:3.5rem}
.hue-0{background:hsl(210 45% 32%)}.hue-1{background:hsl(260 40% 36%)}.hue-2{background:hsl(330 40% 34%)}
.hue-3{background:hsl(20 50% 34%)}.hue-4{background:hsl(45 55% 30%)}.hue-5{background:hsl(150 40% 28%)}
.hue-6{background:hsl(180 45% 27%)}.hue-7{background:hsl(290 35% 34%)}
.state-line{margin:.15rem 0;display:flex;flex-wrap:wrap;gap:.4rem;align-items:center}
.badge{font-size:.8rem;font-weight:700;padding:.1rem .5rem;border-radius:.3rem;background:var(--panel2);border:1px solid var(--line)}
.badge.installed{color:var(--ok);border-color:var(--ok)}
.badge.downloaded{color:var(--accent);border-color:var(--accent)}
.badge.downloading,.badge.installing,.badge.uninstalling,.badge.removing{color:var(--warn);border-color:var(--warn)}
.badge.unavailable{color:var(--muted)}
.badge.peer-connected{color:var(--ok)}.badge.peer-unreachable,.badge.peer-incompatible{color:var(--bad)}
.update{font-size:.8rem;color:var(--warn)}
.progress{margin:.2rem 0}
.progress p{margin:0;font-size:.85rem;color:var(--muted);font-variant-numeric:tabular-nums}
progress{width:100%;height:.7rem;accent-color:var(--accent)}
.waiting{color:var(--warn)!important}
.more{text-align:center;margin:1.5rem}
.detail-head{display:flex;flex-wrap:wrap;gap:1.25rem}
.detail-main{flex:1;min-width:16rem}
.detail h1{margin-top:0}
.description{max-width:60ch;white-space:pre-line}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:.75rem 0}
.facts dt{color:var(--muted)}.facts dd{margin:0}
.actions{display:flex;flex-wrap:wrap;gap:.5rem;margin:.75rem 0}
.back{margin:.75rem 0}
table{border-collapse:collapse;width:100%;background:var(--panel);border:1px solid var(--line);border-radius:.4rem}
th,td{text-align:left;padding:.45rem .6rem;border-bottom:1px solid var(--line);vertical-align:middle}
thead th{color:var(--muted);font-weight:600;font-size:.9rem}
caption{text-align:left;color:var(--muted);padding:.3rem 0}
.table-wrap{overflow-x:auto}
meter{width:6rem;vertical-align:middle}
.spark{display:block;margin:.5rem 0;background:var(--panel2);border-radius:.3rem}
.spark polyline{stroke:var(--accent);stroke-width:2}
.files{columns:2 24rem;padding-left:1.2rem}
.files .size{color:var(--muted);font-size:.85rem}
.download{background:var(--panel);border:1px solid var(--line);border-radius:.6rem;padding:.75rem 1rem;margin:.75rem 0}
.download h2{margin:.2rem 0 .5rem}
.version{color:var(--muted);font-weight:400;font-size:.9rem}
.log{list-style:none;padding:0;margin:0}
.log li{padding:.35rem .2rem;border-bottom:1px solid var(--line)}
.log time{color:var(--muted);font-variant-numeric:tabular-nums;margin-right:.5rem}
.log .kind-problems .what{color:var(--bad)}
.settings{display:flex;flex-direction:column;gap:1rem;max-width:36rem}
.settings fieldset{border:1px solid var(--line);border-radius:.5rem;display:flex;flex-direction:column;gap:.3rem;padding:.75rem 1rem}
.settings label{color:var(--muted);font-size:.9rem;margin-top:.4rem}
.settings button{align-self:start}
dialog{background:var(--panel);color:var(--text);border:1px solid var(--line);border-radius:.6rem;max-width:32rem}
dialog::backdrop{background:#0009}
dialog .buttons{display:flex;justify-content:flex-end;gap:.5rem}
@media (max-width:600px){.top{position:static}.sections{order:3;flex-basis:100%}.sections a{padding:.3rem .5rem}.grid{grid-template-columns:1fr}.cover.big{width:120px;height:160px}
th,td{padding:.35rem}.peers td:nth-child(2){display:none}}
`;
