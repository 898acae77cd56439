import { TextFieldModule } from '@angular/cdk/text-field';
import { ChangeDetectionStrategy, Component, computed, effect, input, output, signal } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { FormControl, ReactiveFormsModule } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatProgressSpinnerModule } from '@angular/material/progress-spinner';
import { MatTooltipModule } from '@angular/material/tooltip';
import { Icon } from '../../shared/icon.component';

/**
 * Where a person writes to the agent. Enter sends, Shift+Enter starts a new line; while the agent works a stop button
 * cancels its turn. `submit` resolves true once the prompt is accepted, and only then is the box emptied.
 */
@Component({
  selector: 'app-prompt-box',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [ReactiveFormsModule, TextFieldModule, MatButtonModule, MatProgressSpinnerModule, MatTooltipModule, Icon],
  template: `
    <form class="prompt" (submit)="$event.preventDefault(); send()" aria-label="Message the agent" [class.disabled]="disabled()">
      <label class="cdk-visually-hidden" for="prompt-input">Message the agent</label>
      <textarea
        id="prompt-input"
        name="prompt"
        class="prompt-input"
        cdkTextareaAutosize
        cdkAutosizeMinRows="1"
        cdkAutosizeMaxRows="10"
        [formControl]="control"
        (keydown.enter)="onEnter($event)"
        [placeholder]="placeholder()"
        data-testid="prompt-input"
      ></textarea>
      <div class="prompt-actions">
        @if (working()) {
          <button
            mat-stroked-button
            type="button"
            (click)="cancel.emit()"
            [disabled]="cancelling()"
            matTooltip="Stop the agent's current turn"
            data-testid="prompt-cancel"
          >
            @if (cancelling()) {
              <mat-progress-spinner mode="indeterminate" diameter="16" aria-label="Cancelling" />
            } @else {
              <app-icon name="stop" [size]="16" />
            }
            Stop
          </button>
        }
        <button mat-flat-button type="submit" [disabled]="!canSend()" data-testid="prompt-send">
          @if (sending()) {
            <mat-progress-spinner mode="indeterminate" diameter="16" aria-label="Sending" />
          } @else {
            <app-icon name="send" [size]="16" />
          }
          Send
        </button>
      </div>
    </form>
    @if (hint()) {
      <p class="hint muted small" data-testid="prompt-hint">{{ hint() }}</p>
    }
  `,
  styles: `
    :host {
      display: block;
    }
    .prompt {
      display: flex;
      align-items: flex-end;
      gap: 8px;
      padding: 8px 8px 8px 14px;
      border: 1px solid var(--mat-sys-outline);
      border-radius: 16px;
      background: var(--mat-sys-surface);
    }
    .prompt:focus-within {
      border-color: var(--mat-sys-primary);
      box-shadow: 0 0 0 1px var(--mat-sys-primary);
    }
    .prompt.disabled {
      opacity: 0.6;
    }
    .prompt-input {
      flex: 1;
      min-height: 24px;
      padding: 8px 0;
      border: 0;
      outline: none;
      resize: none;
      background: transparent;
      color: inherit;
      font: var(--mat-sys-body-large);
    }
    .prompt-actions {
      display: flex;
      gap: 6px;
    }
    .hint {
      margin: 6px 4px 0;
    }
  `,
})
export class PromptBox {
  readonly disabled = input(false);
  readonly working = input(false);
  readonly cancelling = input(false);
  readonly placeholder = input('Ask the agent to do something…');
  readonly hint = input<string | null>(null);
  /** Sends the prompt; true when it was accepted. */
  readonly submit = input.required<(content: string) => Promise<boolean>>();
  readonly cancel = output<void>();

  /** A form control, not a binding: emptying it writes to the box at once, whatever change detection has seen. */
  protected readonly control = new FormControl('', { nonNullable: true });
  protected readonly text = toSignal(this.control.valueChanges, { initialValue: '' });
  protected readonly sending = signal(false);
  protected readonly canSend = computed(() => !this.disabled() && !this.sending() && this.text().trim().length > 0);

  constructor() {
    effect(() => (this.disabled() ? this.control.disable() : this.control.enable()));
  }

  protected onEnter(event: Event): void {
    const key = event as KeyboardEvent;
    // Shift+Enter is a new line; Enter while composing (IME) confirms the composition.
    if (key.shiftKey || key.isComposing) return;
    event.preventDefault();
    void this.send();
  }

  protected async send(): Promise<void> {
    if (!this.canSend()) return;
    const content = this.text().trim();
    this.sending.set(true);
    // Cleared at once (the message shows up from the server, possibly before this request returns); given back if
    // sending failed and nothing new was typed meanwhile.
    const typed = this.control.value;
    this.control.setValue('');
    try {
      if (!(await this.submit()(content)) && this.control.value === '') this.control.setValue(typed);
    } catch (err) {
      if (this.control.value === '') this.control.setValue(typed);
      throw err;
    } finally {
      this.sending.set(false);
    }
  }
}
