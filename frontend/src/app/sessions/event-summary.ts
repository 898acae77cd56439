import type { LoggedEvent } from '../api/session-events';
import type { IconName } from '../shared/icon.component';
import { STATUS_LABELS, toolIcon } from './session-labels';

export interface EventLine {
  seq: number;
  at: string;
  icon: IconName;
  text: string;
  tone: 'plain' | 'error' | 'success';
}

const clip = (text: string, max = 160) => {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

/** Markdown as the words it shows: links become their text, markup and HTML tags go. */
export function plainText(markdown: string): string {
  return markdown
    .replace(/```[\s\S]*?```/g, ' ')
    .replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/^\s{0,3}(#{1,6}|[-*+]|\d+\.|>)\s+/gm, '')
    .replace(/(\*\*|~~|`|\*)/g, '');
}

/**
 * The recent history of a session in one line per event that matters (a peek, not the transcript): prompts, replies,
 * tool calls, status changes, failures. Streaming frames and bookkeeping events are left out.
 */
export function summarizeEvents(events: readonly LoggedEvent[], limit = 8): EventLine[] {
  const lines: EventLine[] = [];
  for (const { seq, at, event: e } of events) {
    const line = (icon: IconName, text: string, tone: EventLine['tone'] = 'plain') => lines.push({ seq, at, icon, text, tone });
    switch (e.type) {
      case 'user_message':
        line('user', clip(e.content));
        break;
      case 'text_part_complete':
        if (plainText(e.text).trim()) line('chat', clip(plainText(e.text)));
        break;
      case 'tool_start':
        line(toolIcon(e.kind ?? 'other'), clip(e.title));
        break;
      case 'tool_end':
        if (e.status === 'failed') line('warning', `A tool call failed${e.result ? `: ${clip(e.result, 100)}` : ''}`, 'error');
        break;
      case 'message_cancelled':
        line('stop', 'The reply was cancelled');
        break;
      case 'status':
        line('info', `${STATUS_LABELS[e.status]}${e.message ? ` — ${clip(e.message, 100)}` : ''}`, e.status === 'failed' ? 'error' : 'plain');
        break;
      case 'error':
        line('warning', clip(e.message), 'error');
        break;
      case 'git_result':
        line(e.action === 'create_pr' ? 'pr' : 'branch', e.success ? clip(e.message || `git ${e.action}`) : `git ${e.action} failed: ${clip(e.message, 100)}`, e.success ? 'success' : 'error');
        break;
      case 'snapshot_result':
        line('camera', e.success ? 'Snapshot saved' : `Snapshot failed${e.error ? `: ${clip(e.error, 100)}` : ''}`, e.success ? 'success' : 'error');
        break;
      case 'preview_url':
        line('preview', `Preview on port ${e.port}`);
        break;
      case 'title_update':
        line('edit', `Renamed to “${clip(e.title, 80)}”`);
        break;
      default:
        break;
    }
  }
  return lines.slice(-limit);
}
