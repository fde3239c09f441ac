// rx-amqp in a plain page (index.html explains how to serve it): a live list
// of the messages on a topic, a form that sends to it, the connection status
// and an error banner with the AMQP condition. Plain JavaScript on the
// ready-made browser bundle, which carries its own rxjs (`rxjs` below), so the
// operators used here come from the same copy as rx-amqp's.
import { connect, receive, send, rxjs } from '../../dist/browser/rx-amqp.standalone.js';

const { Subject, retry, timer } = rxjs;

const params = new URLSearchParams(location.search);
const url = params.get('url') ?? `ws://${location.hostname || 'localhost'}:5673`;
const topic = params.get('topic') ?? 'chat';
// Both links ask for a topic: every subscriber gets a copy. (Without the
// capability the broker would create a queue, whose consumers compete.)
const capabilities = ['topic'];
// A link the peer refused (or lost) is tried again after this wait.
const LINK_RETRY_MS = 2000;

const $ = (selector) => document.querySelector(selector);
$('#topic').textContent = topic;

// One connection for both links; reconnect is on by default (exponential
// backoff from 0.1 s to 10 s), and the links go on over each new connection.
const connection$ = connect(url);

// The page holds the connection for as long as it is open, so it stays up
// (and its status stays meaningful) while a link is refused and retried.
connection$.subscribe({ error: (error) => showError('connection', error) });

// --- connection status ------------------------------------------------------

const time = (ms) => {
  const d = new Date(ms);
  return `${d.toTimeString().slice(0, 8)}.${String(d.getMilliseconds()).padStart(3, '0')}`;
};

/** One line for a ConnectionStatus (a union discriminated by `type`). */
function describeStatus(status) {
  switch (status.type) {
    case 'connecting':
      return `connecting to ${status.url} (attempt ${status.attempt})`;
    case 'open':
      return `open: ${status.url}`;
    case 'reconnecting':
      return status.nextAttemptAt === undefined
        ? `reconnecting: attempt ${status.attempt} soon`
        : `reconnecting: attempt ${status.attempt} at ${time(status.nextAttemptAt)} (in ${(status.delayMs / 1000).toFixed(1)} s)`;
    case 'closed':
      return 'closed';
  }
}

connection$.status$.subscribe((status) => {
  const element = $('#status');
  element.dataset.status = status.type;
  element.textContent = describeStatus(status);
  if (status.type === 'reconnecting') element.dataset.nextAttemptAt = String(status.nextAttemptAt ?? '');
  else delete element.dataset.nextAttemptAt;
  // The reason for a wait (or for giving up) goes to the banner; an open connection clears it.
  if (status.type === 'reconnecting' || (status.type === 'closed' && status.error !== undefined)) showError('connection', status.error);
  if (status.type === 'open') clearError('connection');
});

// --- the error banner -----------------------------------------------------------

// The latest error of each source (the connection, the receiver, the sender);
// the banner shows the most recent one still standing.
const errors = new Map();

/** AmqpError and its subclasses carry `condition` (an AMQP symbol) and `description`. */
function showError(source, error) {
  const condition = typeof error?.condition === 'string' ? error.condition : (error?.name ?? 'error');
  const description = typeof error?.description === 'string' ? error.description : String(error?.message ?? error);
  errors.delete(source);
  errors.set(source, { condition, description });
  renderError();
}

function clearError(source) {
  if (errors.delete(source)) renderError();
}

function renderError() {
  const banner = $('#error');
  const latest = [...errors.values()].at(-1);
  banner.hidden = latest === undefined;
  if (latest === undefined) {
    delete banner.dataset.condition;
    banner.replaceChildren();
    return;
  }
  banner.dataset.condition = latest.condition;
  const code = document.createElement('code');
  code.textContent = latest.condition;
  banner.replaceChildren(code, ` ${latest.description}`);
}

// --- receiving ----------------------------------------------------------------

function bodyText(body) {
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return new TextDecoder().decode(body);
  return JSON.stringify(body, (_key, value) => (typeof value === 'bigint' ? String(value) : value));
}

receive(connection$, topic, { capabilities, onAttach: () => clearError('receiver') })
  .pipe(retry({ delay: (error) => (showError('receiver', error), timer(LINK_RETRY_MS)) }))
  .subscribe((delivery) => {
    const item = document.createElement('li');
    item.textContent = bodyText(delivery.message.body);
    $('#messages').append(item);
  }); // auto-accept: each delivery is accepted once this returns

// --- sending --------------------------------------------------------------------

// The form's messages, sent in order by one sender link. While the connection
// is down they wait in the operator's buffer (1000 by default), and anything
// unsettled when it dropped is sent again on the next one: at least once.
const outgoing = new Subject();
let sent = 0;
let accepted = 0;

function renderCounts() {
  const counts = $('#counts');
  counts.dataset.sent = String(sent);
  counts.dataset.accepted = String(accepted);
  counts.textContent = `sent ${sent}, accepted ${accepted}`;
}

outgoing
  .pipe(send(connection$, topic, { capabilities }), retry({ delay: (error) => (showError('sender', error), timer(LINK_RETRY_MS)) }))
  .subscribe((result) => {
    if (result.state === 'accepted') {
      accepted += 1;
      clearError('sender');
    } else {
      showError('sender', result.error ?? { condition: result.state, description: `the broker said ${result.state}` });
    }
    renderCounts();
  });

$('#send-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = event.target.elements.body;
  if (input.value === '') return;
  sent += 1;
  renderCounts();
  outgoing.next({ body: input.value });
  input.value = '';
});
