import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, input } from '@angular/core';
import { Icon, type IconName } from '../../shared/icon.component';
import type { AssistantBlock, NoteItem, SessionState, ToolCall } from '../session-state';
import { EnvRequest, isEnvRequest } from './env-request.component';
import { Markdown } from './markdown.component';
import { ToolCard } from './tool-card.component';

const NOTE_ICONS: Record<NoteItem['topic'], IconName> = { status: 'info', error: 'warning', snapshot: 'camera', git: 'branch' };

/** The conversation: prompts, the agent's replies (text, thoughts, tool calls) and notes on what happened. */
@Component({
  selector: 'app-transcript',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [DatePipe, EnvRequest, Icon, Markdown, ToolCard],
  template: `
    @let s = state();
    <ol class="transcript" aria-label="Conversation" data-testid="transcript">
      @for (item of s.items; track item.key) {
        @switch (item.kind) {
          @case ('user') {
            <li class="turn user" data-testid="user-message" [attr.data-message-id]="item.messageId">
              <div class="meta muted small">
                <span>{{ senderName(item.senderId) }}</span>
                @if (item.source !== 'web') {
                  <span class="source">via {{ item.source }}</span>
                }
                <time [attr.datetime]="item.at">{{ item.at | date: 'shortTime' }}</time>
              </div>
              <div class="bubble" data-testid="user-message-text">{{ item.content }}</div>
            </li>
          }
          @case ('assistant') {
            <li class="turn assistant" data-testid="assistant-message" [attr.data-message-id]="item.messageId" [attr.data-state]="item.state">
              <div class="meta muted small">
                <span>Agent</span>
                <time [attr.datetime]="item.at">{{ item.at | date: 'shortTime' }}</time>
              </div>
              @if (item.thoughts) {
                <details class="thoughts" data-testid="thoughts">
                  <summary>Thinking</summary>
                  <div class="thought-text">{{ item.thoughts }}</div>
                </details>
              }
              @for (block of item.blocks; track blockKey(block)) {
                @if (block.kind === 'text') {
                  <app-markdown class="reply-text" [text]="block.text" [attr.data-part-id]="block.partId" [attr.data-complete]="block.complete" data-testid="assistant-text" />
                } @else if (toolOf(block, s); as tool) {
                  <app-tool-card [tool]="tool" />
                  @if (sessionId() && isEnvRequest(tool)) {
                    <app-env-request [sessionId]="sessionId()!" [tool]="tool" />
                  }
                }
              }
              @switch (item.state) {
                @case ('streaming') {
                  <div class="typing" aria-label="The agent is working" role="status" data-testid="agent-working">
                    <span></span><span></span><span></span>
                  </div>
                }
                @case ('cancelled') {
                  <p class="ended muted small" data-testid="message-cancelled">Stopped before it finished.</p>
                }
                @case ('interrupted') {
                  <p class="ended muted small" data-testid="message-interrupted">Interrupted.</p>
                }
              }
            </li>
          }
          @case ('note') {
            <li [class]="'note tone-' + item.tone" data-testid="transcript-note" [attr.data-topic]="item.topic">
              <app-icon [name]="noteIcon(item.topic)" [size]="16" />
              <span>
                {{ item.text }}
                @if (item.link) {
                  — <a [href]="item.link" target="_blank" rel="noopener noreferrer" data-testid="transcript-note-link">{{ item.link }}</a>
                }
                @if (item.detail) {
                  <span class="note-detail">{{ item.detail }}</span>
                }
              </span>
            </li>
          }
        }
      }
    </ol>
  `,
  styles: `
    .transcript {
      list-style: none;
      margin: 0;
      padding: 0;
      display: flex;
      flex-direction: column;
      gap: 18px;
    }
    .turn {
      display: flex;
      flex-direction: column;
      gap: 4px;
      min-width: 0;
    }
    .meta {
      display: flex;
      gap: 8px;
    }
    .user {
      align-items: flex-end;
    }
    .bubble {
      max-width: min(680px, 90%);
      padding: 10px 14px;
      border-radius: 16px 16px 4px 16px;
      background: var(--mat-sys-primary-container);
      color: var(--mat-sys-on-primary-container);
      white-space: pre-wrap;
      overflow-wrap: anywhere;
    }
    .thoughts summary {
      cursor: pointer;
      font: var(--mat-sys-label-medium);
      color: var(--mat-sys-on-surface-variant);
    }
    .thought-text {
      margin-top: 4px;
      padding-left: 10px;
      border-left: 2px solid var(--mat-sys-outline-variant);
      color: var(--mat-sys-on-surface-variant);
      white-space: pre-wrap;
      font-style: italic;
    }
    .reply-text {
      line-height: 1.55;
    }
    .typing {
      display: inline-flex;
      gap: 4px;
      padding: 6px 0;
    }
    .typing span {
      width: 6px;
      height: 6px;
      border-radius: 50%;
      background: var(--mat-sys-on-surface-variant);
      animation: blink 1.2s infinite ease-in-out;
    }
    .typing span:nth-child(2) {
      animation-delay: 0.2s;
    }
    .typing span:nth-child(3) {
      animation-delay: 0.4s;
    }
    @keyframes blink {
      50% {
        opacity: 0.2;
      }
    }
    .ended {
      margin: 0;
    }
    .note {
      display: flex;
      gap: 8px;
      align-items: flex-start;
      align-self: center;
      max-width: 90%;
      padding: 4px 12px;
      border-radius: 999px;
      background: var(--mat-sys-surface-container);
      color: var(--mat-sys-on-surface-variant);
      font: var(--mat-sys-body-small);
    }
    .note.tone-error {
      border-radius: 8px;
      background: var(--mat-sys-error-container);
      color: var(--mat-sys-on-error-container);
    }
    .note-detail {
      display: block;
      overflow-wrap: anywhere;
    }
  `,
})
export class Transcript {
  readonly state = input.required<SessionState>();
  /** The signed-in user, to call their prompts "You". */
  readonly meId = input<string | null>(null);
  /** Who started the session, to name their prompts. */
  readonly creator = input<{ id: string; name: string } | null>(null);
  /** The session, for forms that answer the agent (the Environment form of `request_env_variables`). */
  readonly sessionId = input<string | null>(null);

  protected readonly isEnvRequest = isEnvRequest;

  protected senderName(senderId: string | null): string {
    if (senderId && senderId === this.meId()) return 'You';
    if (senderId && senderId === this.creator()?.id) return this.creator()!.name;
    return senderId ? 'A teammate' : 'Automation';
  }

  protected toolOf(block: AssistantBlock, state: SessionState): ToolCall | null {
    return block.kind === 'tool' ? (state.tools[block.toolCallId] ?? null) : null;
  }

  protected blockKey(block: AssistantBlock): string {
    return block.kind === 'text' ? `t:${block.partId}` : `c:${block.toolCallId}`;
  }

  protected noteIcon(topic: NoteItem['topic']): IconName {
    return NOTE_ICONS[topic];
  }
}
