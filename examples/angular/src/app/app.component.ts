import { ChangeDetectionStrategy, Component, computed, inject } from '@angular/core';
import { AmqpService } from './amqp.service';
import { statusText } from './status-text';

/**
 * The page: the topic's messages as they arrive, a form that sends to it, the
 * connection status and an error banner. It renders the same element ids and
 * data-* attributes as examples/browser, which test/browser drives.
 */
@Component({
  selector: 'app-root',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <h1>rx-amqp: <span id="topic">{{ amqp.topic }}</span></h1>
    <p id="status" role="status" [attr.data-status]="status().type" [attr.data-next-attempt-at]="nextAttemptAt()">{{ statusLine() }}</p>
    @if (amqp.error(); as error) {
      <p id="error" role="alert" [attr.data-condition]="error.condition"><code>{{ error.condition }}</code> {{ error.description }}</p>
    }
    <form id="send-form" (submit)="submit($event, body)">
      <input #body name="body" autocomplete="off" placeholder="a message to the topic" aria-label="message" required>
      <button type="submit">Send</button>
    </form>
    <p id="counts" [attr.data-sent]="amqp.counts().sent" [attr.data-accepted]="amqp.counts().accepted">
      sent {{ amqp.counts().sent }}, accepted {{ amqp.counts().accepted }}
    </p>
    <ul id="messages">
      @for (message of amqp.messages(); track message.seq) {
        <li>{{ message.text }}</li>
      }
    </ul>
  `,
})
export class AppComponent {
  protected readonly amqp = inject(AmqpService);
  protected readonly status = this.amqp.status;
  protected readonly statusLine = computed(() => statusText(this.status()));
  protected readonly nextAttemptAt = computed(() => {
    const status = this.status();
    return status.type === 'reconnecting' ? status.nextAttemptAt ?? null : null;
  });

  protected submit(event: Event, input: HTMLInputElement): void {
    event.preventDefault();
    if (input.value === '') return;
    this.amqp.send(input.value);
    input.value = '';
  }
}
