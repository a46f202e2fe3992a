// The pages for people: server-rendered, no external assets (works offline), zh-CN first with an English
// switch. Login turns a token into an HttpOnly SameSite=Strict session cookie; the upload form posts to the
// API with XHR so it can show progress; the result page is the check's HTML report with a bar on top.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Lang } from '../report/facts-text.js';
import { renderHtml } from '../report/html.js';
import { VERDICT_ZH, type Verdict } from '../check/types.js';
import { ApiError } from './api-error.js';
import type { ServerContext } from './app.js';
import { LANG_COOKIE, parseCookies, refuse, SESSION_COOKIE } from './auth.js';
import { SuppressionBody, suppress } from './report-routes.js';
import { getScan, listScans, scanResult } from './scans.js';
import { createSession, endSession, principalForToken, SESSION_HOURS } from './tokens.js';

const T = {
  title: { zh: 'eduscan 检测服务', en: 'eduscan review service' },
  login: { zh: '登录', en: 'Log in' },
  logout: { zh: '退出', en: 'Log out' },
  token: { zh: 'API 令牌', en: 'API token' },
  badToken: { zh: '令牌无效或已吊销', en: 'Unknown or revoked token' },
  upload: { zh: '上传安装包检测', en: 'Upload a package' },
  package: { zh: '安装包（.apk / .ipa）', en: 'Package (.apk / .ipa)' },
  record: { zh: '备案信息（可选，YAML/JSON）', en: 'Filing record (optional, YAML/JSON)' },
  submit: { zh: '上传并检测', en: 'Upload and check' },
  scans: { zh: '检测记录', en: 'Scans' },
  none: { zh: '暂无检测记录', en: 'No scans yet' },
  file: { zh: '文件', en: 'File' },
  app: { zh: '应用', en: 'App' },
  verdict: { zh: '结论', en: 'Verdict' },
  status: { zh: '状态', en: 'Status' },
  owner: { zh: '上传者', en: 'Uploaded by' },
  time: { zh: '时间', en: 'Time' },
  back: { zh: '返回列表', en: 'Back to scans' },
  suppress: { zh: '豁免问题（须填写理由）', en: 'Suppress a finding (reason required)' },
  rule: { zh: '规则', en: 'Rule' },
  reason: { zh: '理由', en: 'Reason' },
  until: { zh: '有效期至（可选）', en: 'Until (optional)' },
  save: { zh: '保存', en: 'Save' },
  failed: { zh: '检测失败', en: 'Scan failed' },
  uploading: { zh: '上传中', en: 'Uploading' },
  scanning: { zh: '上传完成，正在检测…', en: 'Uploaded, checking…' },
} as const;

const VERDICT_EN: Record<Verdict, string> = { pass: 'Pass', explain: 'Needs explanation', fail: 'Fail', unassessable: 'Not assessable' };

/** The service bar: also injected into the report page, so it only styles .bar. */
const BAR_CSS = `.bar{display:flex;gap:16px;align-items:center;padding:10px 20px;background:#24292f;color:#fff;font:15px/1.5 system-ui,"Noto Sans CJK SC",sans-serif}
.bar a,.bar button{color:#fff}.bar .sp{flex:1}.bar form{margin:0}.bar button{background:none;border:1px solid #8c959f;border-radius:4px;cursor:pointer}
.suppress-form{max-width:980px;margin:0 auto 20px;padding:16px;border:1px solid #d0d7de;border-radius:6px}`;

const CSS = `body{font:15px/1.5 system-ui,"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:0;color:#1f2328;background:#f6f8fa}
${BAR_CSS}
main{max-width:980px;margin:20px auto;padding:0 20px}section{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:16px;margin-bottom:16px}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #d0d7de;padding:6px;text-align:left}
.v-pass{color:#1a7f37}.v-fail{color:#cf222e}.v-explain{color:#9a6700}.v-unassessable{color:#57606a}
progress{width:100%}.err{color:#cf222e}label{display:block;margin:8px 0 4px}input[type=text],input[type=password]{width:100%;max-width:420px}`;

function h(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function pageLang(req: FastifyRequest): Lang {
  const q = (req.query as Record<string, unknown> | undefined)?.lang;
  if (q === 'en' || q === 'zh') return q;
  return parseCookies(req.headers.cookie)[LANG_COOKIE] === 'en' ? 'en' : 'zh';
}

function verdictText(v: string | null, lang: Lang): string {
  if (!v) return '—';
  return lang === 'zh' ? (VERDICT_ZH as Record<string, string>)[v] ?? v : VERDICT_EN[v as Verdict] ?? v;
}

function bar(req: FastifyRequest, lang: Lang, path: string): string {
  const who = req.principal;
  const other: Lang = lang === 'zh' ? 'en' : 'zh';
  return `<nav class="bar"><a href="/scans"><b>${h(T.title[lang])}</b></a><span class="sp"></span>
<a href="${h(path)}?lang=${other}" id="lang-switch">${other === 'en' ? 'English' : '中文'}</a>
${who ? `<span>${h(who.name)} (${h(who.role)})</span><form method="post" action="/logout"><button type="submit">${h(T.logout[lang])}</button></form>` : ''}</nav>`;
}

function page(req: FastifyRequest, lang: Lang, path: string, title: string, body: string): string {
  return `<!DOCTYPE html><html lang="${lang === 'zh' ? 'zh-CN' : 'en'}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>${h(title)}</title><style>${CSS}</style></head>
<body>${bar(req, lang, path)}<main>${body}</main></body></html>`;
}

function send(reply: FastifyReply, lang: Lang, html: string, status = 200): FastifyReply {
  // The language chosen once sticks (a cookie that grants nothing).
  reply.header('set-cookie', `${LANG_COOKIE}=${lang}; Path=/; SameSite=Strict; Max-Age=31536000`);
  reply.header('content-security-policy', "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src 'self' data:");
  return reply.code(status).type('text/html; charset=utf-8').send(html);
}

/** The inline upload script: XHR so the page can show upload progress, then go to the result page. */
function uploadScript(lang: Lang): string {
  return `<script>
(function(){var f=document.getElementById('upload'),p=document.getElementById('progress'),m=document.getElementById('msg');
f.addEventListener('submit',function(ev){ev.preventDefault();var x=new XMLHttpRequest();x.open('POST','/api/v1/scans');
x.upload.onprogress=function(e){if(e.lengthComputable){p.max=e.total;p.value=e.loaded;m.textContent=${JSON.stringify(T.uploading[lang])}+' '+Math.round(100*e.loaded/e.total)+'%';}};
x.upload.onload=function(){m.textContent=${JSON.stringify(T.scanning[lang])};};
x.onload=function(){var b;try{b=JSON.parse(x.responseText);}catch(e){b={};}
if(x.status===201&&b.id){location.href='/scans/'+b.id;}else{m.className='err';m.textContent=(b.error?b.error.code+': '+b.error.message:'HTTP '+x.status);}};
x.onerror=function(){m.className='err';m.textContent='network error';};p.hidden=false;x.send(new FormData(f));});})();
</script>`;
}

export function registerWeb(app: FastifyInstance, ctx: ServerContext): void {
  const { db } = ctx;
  const loginRedirect = (req: FastifyRequest, reply: FastifyReply) => {
    refuse(req, 401, 'page without a session');
    return reply.redirect('/login', 303);
  };

  app.get('/', async (req, reply) => reply.redirect(req.principal ? '/scans' : '/login', 303));

  const loginPage = (req: FastifyRequest, lang: Lang, error?: string) => page(req, lang, '/login', T.login[lang], `<section><h1>${h(T.login[lang])}</h1>
${error ? `<p class="err" id="login-error">${h(error)}</p>` : ''}
<form method="post" action="/login"><label for="token">${h(T.token[lang])}</label>
<input type="password" id="token" name="token" autocomplete="off" required>
<p><button type="submit" id="login-submit">${h(T.login[lang])}</button></p></form></section>`);

  app.get('/login', async (req, reply) => send(reply, pageLang(req), loginPage(req, pageLang(req))));

  app.post('/login', async (req, reply) => {
    const lang = pageLang(req);
    const token = String((req.body as Record<string, unknown> | undefined)?.token ?? '').trim();
    const who = token ? principalForToken(db, token) : undefined;
    if (!who) {
      refuse(req, 401, 'login with an unknown or revoked token');
      return send(reply, lang, loginPage(req, lang, T.badToken[lang]), 401);
    }
    const sid = createSession(db, who.tokenId);
    reply.header('set-cookie', `${SESSION_COOKIE}=${sid}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${SESSION_HOURS * 3600}`);
    return reply.redirect('/scans', 303);
  });

  app.post('/logout', async (req, reply) => {
    const sid = parseCookies(req.headers.cookie)[SESSION_COOKIE];
    if (sid) endSession(db, sid);
    reply.header('set-cookie', `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`);
    return reply.redirect('/login', 303);
  });

  app.get('/scans', async (req, reply) => {
    if (!req.principal) return loginRedirect(req, reply);
    const lang = pageLang(req);
    const rows = listScans(db, req.principal, { limit: 100 });
    const list = rows.length === 0 ? `<p>${h(T.none[lang])}</p>` : `<table id="scan-list"><tr><th>#</th><th>${h(T.file[lang])}</th><th>${h(T.app[lang])}</th>
<th>${h(T.verdict[lang])}</th><th>${h(T.status[lang])}</th><th>${h(T.owner[lang])}</th><th>${h(T.time[lang])}</th></tr>
${rows.map((s) => `<tr><td><a href="/scans/${s.id}">${s.id}</a></td><td>${h(s.filename)}</td><td>${h([s.appPackage, s.versionName].filter(Boolean).join(' '))}</td>
<td class="v-${h(s.verdict ?? '')}">${h(verdictText(s.verdict, lang))}</td><td>${h(s.status)}${s.errorCode ? ` (${h(s.errorCode)})` : ''}</td><td>${h(s.owner)}</td><td>${h(s.createdAt)}</td></tr>`).join('\n')}</table>`;
    const form = `<section><h1>${h(T.upload[lang])}</h1><form id="upload" method="post" action="/api/v1/scans" enctype="multipart/form-data">
<label for="package">${h(T.package[lang])}</label><input type="file" id="package" name="package" accept=".apk,.ipa" required>
<label for="record">${h(T.record[lang])}</label><input type="file" id="record" name="record" accept=".yaml,.yml,.json">
<p><button type="submit" id="upload-submit">${h(T.submit[lang])}</button></p><progress id="progress" value="0" max="1" hidden></progress>
<p id="msg" role="status"></p></form></section>${uploadScript(lang)}`;
    return send(reply, lang, page(req, lang, '/scans', T.scans[lang], `${form}<section><h2>${h(T.scans[lang])}</h2>${list}</section>`));
  });

  app.get('/scans/:id', async (req, reply) => {
    if (!req.principal) return loginRedirect(req, reply);
    const lang = pageLang(req);
    const id = Number((req.params as { id: string }).id);
    const s = Number.isSafeInteger(id) ? getScan(db, id, req.principal) : undefined;
    if (!s) return send(reply, lang, page(req, lang, '/scans', '404', `<section><p>404</p><a href="/scans">${h(T.back[lang])}</a></section>`), 404);
    const r = scanResult(db, id);
    const path = `/scans/${id}`;
    if (!r) {
      return send(reply, lang, page(req, lang, path, T.failed[lang], `<section><h1 class="err">${h(T.failed[lang])}: ${h(s.filename)}</h1>
<p id="scan-error"><code>${h(s.errorCode ?? s.status)}</code> ${h(s.errorMessage ?? '')}</p><a href="/scans">${h(T.back[lang])}</a></section>`));
    }
    const canSuppress = req.principal.role !== 'provider';
    const rules = [...new Set(r.findings.filter((f) => !f.suppressed).map((f) => f.rule))];
    const form = canSuppress && rules.length ? `<section class="suppress-form" id="suppress"><h2>${h(T.suppress[lang])}</h2>
<form method="post" action="/scans/${id}/suppress"><label>${h(T.rule[lang])}</label><select name="rule">${rules.map((x) => `<option>${h(x)}</option>`).join('')}</select>
<label>${h(T.reason[lang])}</label><input type="text" name="reason" required><label>${h(T.until[lang])}</label><input type="date" name="until">
<p><button type="submit">${h(T.save[lang])}</button></p></form></section>` : '';
    // The report is a whole page of its own: the service bar goes right after <body>, the reviewer form before </body>.
    const html = renderHtml(r, lang).replace('<body>\n', () => `<body>\n<style>${BAR_CSS}</style>${bar(req, lang, path)}\n`)
      .replace('</body>', () => `${form}</body>`);
    return send(reply, lang, html);
  });

  app.post('/scans/:id/suppress', async (req, reply) => {
    if (!req.principal) return loginRedirect(req, reply);
    if (req.principal.role === 'provider') {
      refuse(req, 403, 'provider may not suppress');
      throw new ApiError(403, 'E_FORBIDDEN', 'only reviewers may suppress findings');
    }
    const id = Number((req.params as { id: string }).id);
    const raw = { ...(req.body as Record<string, string>) };
    if (!raw.until) delete raw.until;
    const body = SuppressionBody.safeParse(raw);
    if (!body.success) throw new ApiError(400, 'E_BAD_REQUEST', body.error.issues[0]?.message ?? 'invalid');
    suppress(ctx, id, req.principal, body.data);
    return reply.redirect(`/scans/${id}`, 303);
  });
}
