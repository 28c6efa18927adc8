/**
 * @module The ready-to-post incident comment, as HTML and as Markdown. Every string that can come from an attacker
 * (image paths, command lines, details quoting them) is escaped. Sentinel takes at most 30,000 characters per
 * comment (learn.microsoft.com/azure/sentinel/investigate-incidents), so the comment is
 * cut between incidents with a note saying so.
 */
import type { Incident } from '../correlate/incident';
import { SIGNALS } from '../correlate/signals';

/** Sentinel's limit per incident comment. */
export const SENTINEL_COMMENT_LIMIT = 30_000;
/** Long fields are shortened inside the comment (the full values stay in the API answer). */
const MAX_FIELD = 600;

export interface EnrichmentSummary {
    status: string;
    lines: string[];
}

export interface CommentInput {
    incident: Incident;
    enrichment?: EnrichmentSummary;
}

export function escapeHtml(text: string): string {
    return text.replace(
        /[&<>"'`]/g,
        (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' })[c] as string,
    );
}

/**
 * Escapes Markdown syntax, then raw HTML (in that order, so the entities it writes stay intact). Every line ending
 * CommonMark knows (CR LF, LF and a lone CR) becomes a space, so a field cannot start a new block. GitHub-flavoured
 * Markdown also links bare `https://…` and `www.…` text (GFM spec, "Autolinks (extension)"): backslash escapes
 * inside `://` and after `www` break the pattern while rendering the same characters.
 */
export function escapeMarkdown(text: string): string {
    return escapeHtml(
        text
            .replace(/[\\*_[\]()#+\-!|{}~]/g, (c) => `\\${c}`)
            .replace(/\r\n?|\n/g, ' ')
            .replace(/:\/\//g, ':\\/\\/')
            .replace(/(w{3})\./gi, '$1\\.'),
    );
}

function shorten(text: string | undefined, max = MAX_FIELD): string {
    if (text === undefined) return '';
    return text.length <= max ? text : `${text.slice(0, max)} [${text.length - max} more characters]`;
}

function baseName(path: string | undefined): string {
    return path ? (path.split(/[\\/]/).pop() ?? path) : 'unknown';
}

function techniqueUrl(technique: string): string {
    return `https://attack.mitre.org/techniques/${technique.replace('.', '/')}/`;
}

/** The possible investigation steps of the signals that scored, each once, in the order the signals scored. */
export function investigationSteps(incident: Pick<Incident, 'contributions'>): string[] {
    const steps: string[] = [];
    for (const { signal } of incident.contributions)
        for (const step of SIGNALS[signal]?.triage ?? []) if (!steps.includes(step)) steps.push(step);
    return steps;
}

function htmlSection({ incident, enrichment }: CommentInput): string {
    const who = (p: Incident['injector']): string =>
        `${escapeHtml(shorten(p.image ?? 'unknown image'))}${p.processId !== undefined ? ` (PID ${p.processId})` : ''}`;
    const signals = incident.signals
        .map(
            (s) =>
                `<li>${escapeHtml(s.time)} EID ${s.eventId}${s.points > 0 ? ` <b>+${s.points}</b>` : ''}: ${escapeHtml(shorten(s.detail))}</li>`,
        )
        .join('');
    const enrichmentHtml = enrichment
        ? `<p><b>Workspace context</b> (${escapeHtml(enrichment.status)}):</p><ul>${enrichment.lines.map((l) => `<li>${escapeHtml(l)}</li>`).join('')}</ul>`
        : '';
    return (
        `<h3>${escapeHtml(baseName(incident.injector.image))} &rarr; ${escapeHtml(baseName(incident.target.image))}: ` +
        `<a href="${techniqueUrl(incident.technique)}" target="_blank">${escapeHtml(incident.technique)}</a> ${escapeHtml(incident.techniqueName)}</h3>` +
        `<table><tr><td>Host</td><td>${escapeHtml(incident.host)}</td></tr>` +
        `<tr><td>Score</td><td>${incident.score} (${escapeHtml(incident.severity)})</td></tr>` +
        `<tr><td>Injector</td><td>${who(incident.injector)}</td></tr>` +
        `<tr><td>Target</td><td>${who(incident.target)}</td></tr>` +
        (incident.target.commandLine !== undefined
            ? `<tr><td>Target command line</td><td><code>${escapeHtml(shorten(incident.target.commandLine))}</code></td></tr>`
            : '') +
        `<tr><td>Seen</td><td>${escapeHtml(incident.firstSeen)} to ${escapeHtml(incident.lastSeen)}</td></tr></table>` +
        `<p>${escapeHtml(incident.explanation)}</p><ul>${signals}</ul>` +
        `<p><b>Possible investigation steps</b></p><ol>${investigationSteps(incident)
            .map((step) => `<li>${escapeHtml(step)}</li>`)
            .join('')}</ol>${enrichmentHtml}` +
        `<p><small>hollowtrace incident ${escapeHtml(incident.id)} v${incident.version}</small></p>`
    );
}

function markdownSection({ incident, enrichment }: CommentInput): string {
    const who = (p: Incident['injector']): string =>
        `${escapeMarkdown(shorten(p.image ?? 'unknown image'))}${p.processId !== undefined ? ` (PID ${p.processId})` : ''}`;
    const lines = [
        `### ${escapeMarkdown(baseName(incident.injector.image))} → ${escapeMarkdown(baseName(incident.target.image))}: [${incident.technique}](${techniqueUrl(incident.technique)}) ${escapeMarkdown(incident.techniqueName)}`,
        '',
        `- **Host**: ${escapeMarkdown(incident.host)}`,
        `- **Score**: ${incident.score} (${incident.severity})`,
        `- **Injector**: ${who(incident.injector)}`,
        `- **Target**: ${who(incident.target)}`,
        ...(incident.target.commandLine !== undefined
            ? [`- **Target command line**: ${escapeMarkdown(shorten(incident.target.commandLine))}`]
            : []),
        `- **Seen**: ${escapeMarkdown(incident.firstSeen)} to ${escapeMarkdown(incident.lastSeen)}`,
        '',
        escapeMarkdown(incident.explanation),
        '',
        ...incident.signals.map(
            (s) =>
                `- ${escapeMarkdown(s.time)} EID ${s.eventId}${s.points > 0 ? ` **+${s.points}**` : ''}: ${escapeMarkdown(shorten(s.detail))}`,
        ),
        '',
        '**Possible investigation steps**:',
        ...investigationSteps(incident).map((step, i) => `${i + 1}. ${escapeMarkdown(step)}`),
        ...(enrichment
            ? [
                  '',
                  `**Workspace context** (${escapeMarkdown(enrichment.status)}):`,
                  ...enrichment.lines.map((l) => `- ${escapeMarkdown(l)}`),
              ]
            : []),
        '',
        `_hollowtrace incident ${incident.id} v${incident.version}_`,
    ];
    return lines.join('\n');
}

function assemble(sections: string[], header: string, note: (omitted: number) => string, separator: string): string {
    let out = header;
    for (let i = 0; i < sections.length; i++) {
        const section = sections[i] as string;
        const rest = sections.length - i - 1;
        // Leave room for the note that would follow if a later section did not fit.
        const reserve = rest > 0 ? note(rest).length + separator.length : 0;
        if (out.length + separator.length + section.length + reserve > SENTINEL_COMMENT_LIMIT) {
            return `${out}${separator}${note(sections.length - i)}`.slice(0, SENTINEL_COMMENT_LIMIT);
        }
        out += separator + section;
    }
    return out;
}

/** Renders the comment for the matched incidents (most severe first), within Sentinel's 30,000-character limit. */
export function renderComment(inputs: readonly CommentInput[]): { html: string; markdown: string } {
    if (inputs.length === 0) {
        const none = 'hollowtrace found no process-injection chain for the hosts and processes of this incident.';
        return { html: `<p>${none}</p>`, markdown: none };
    }
    const headerText = `hollowtrace: ${inputs.length} process-injection chain${inputs.length === 1 ? '' : 's'} on this incident's hosts`;
    const html = assemble(
        inputs.map(htmlSection),
        `<h2>${escapeHtml(headerText)}</h2>`,
        (omitted) =>
            `<p><i>Comment cut at Sentinel's 30,000-character limit: ${omitted} more chain(s) not shown; GET /api/incidents/{id} returns them in full.</i></p>`,
        '',
    );
    const markdown = assemble(
        inputs.map(markdownSection),
        `## ${escapeMarkdown(headerText)}`,
        (omitted) =>
            `_Comment cut at Sentinel's 30,000-character limit: ${omitted} more chain(s) not shown; GET /api/incidents/{id} returns them in full._`,
        '\n\n',
    );
    return { html, markdown };
}
