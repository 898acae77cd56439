/** A one-line activity indicator on a terminal (stderr): shown only where it cannot end up in piped output. */
export class Spinner {
  private static readonly FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
  private label: string | null = null;
  private frame = 0;
  private shown = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly stream: NodeJS.WritableStream,
    readonly enabled: boolean,
  ) {}

  /** Shows `label` (or hides the spinner with null). */
  set(label: string | null): void {
    if (!this.enabled) return;
    if (label === null) {
      this.clear();
      this.stopTimer();
      this.label = null;
      return;
    }
    this.label = label;
    this.draw();
    this.timer ??= setInterval(() => {
      this.frame = (this.frame + 1) % Spinner.FRAMES.length;
      this.draw();
    }, 100);
  }

  /** Erases the spinner's line, before something else is written to the terminal. */
  clear(): void {
    if (!this.shown) return;
    this.stream.write('\r\x1b[2K');
    this.shown = false;
  }

  stop(): void {
    this.set(null);
  }

  private draw(): void {
    if (this.label === null) return;
    // One line only: a label that wrapped could not be erased with a carriage return.
    const width = Math.max(10, ((this.stream as { columns?: number }).columns ?? 80) - 3);
    const label = this.label.length > width ? `${this.label.slice(0, width - 1)}…` : this.label;
    this.stream.write(`\r\x1b[2K${Spinner.FRAMES[this.frame]} ${label}`);
    this.shown = true;
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
