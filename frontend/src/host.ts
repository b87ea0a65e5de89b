/**
 * The plugin-guest side of TensorBoard's iframe message protocol
 * (tensorboard/components/experimental/plugin_lib): post
 * "experimental.bootstrap" with a MessagePort to the parent, then exchange
 * JSON {type, id, payload, error, isReply} messages over the port.
 * We only listen for `experimental.DataReloaded` (the reload button or
 * auto-reload) and reply to every request so the host never waits.
 */

interface Message {
  type: string;
  id: number;
  payload: unknown;
  error: string | null;
  isReply: boolean;
}

/** Connects to the host; `onReload` runs on each DataReloaded. Returns false outside an iframe. */
export function connectHost(onReload: () => void): boolean {
  if (!window.parent || window.parent === window || typeof MessageChannel === 'undefined') return false;
  const channel = new MessageChannel();
  const port = channel.port1;
  port.onmessage = (event: MessageEvent) => {
    let msg: Message;
    try {
      msg = JSON.parse(String(event.data)) as Message;
    } catch {
      return;
    }
    if (!msg || msg.isReply) return;
    if (msg.type === 'experimental.DataReloaded') onReload();
    const reply: Message = {type: msg.type, id: msg.id, payload: null, error: null, isReply: true};
    port.postMessage(JSON.stringify(reply));
  };
  port.start();
  window.parent.postMessage('experimental.bootstrap', '*', [channel.port2]);
  return true;
}
