/**
 * A TCP proxy on loopback in front of a real server (Postgres), for fault
 * tests: `cut()` drops every connection and refuses new ones until
 * `restore()`; `delayMs` holds every chunk from the server back that long.
 */
import * as Net from "node:net"

export interface TcpProxy {
  readonly port: number
  /** Milliseconds each chunk from the server waits before it is forwarded. */
  delayMs: number
  readonly cut: () => void
  readonly restore: () => void
  readonly close: () => Promise<void>
}

export const tcpProxy = async (target: { readonly host: string; readonly port: number }): Promise<TcpProxy> => {
  const sockets = new Set<Net.Socket>()
  let open = true
  let delayMs = 0
  const cut = () => {
    open = false
    for (const socket of sockets) socket.destroy()
    sockets.clear()
  }
  const server = Net.createServer((client) => {
    if (!open) return client.destroy()
    const upstream = Net.connect(target.port, target.host)
    sockets.add(client).add(upstream)
    const drop = () => {
      client.destroy()
      upstream.destroy()
      sockets.delete(client)
      sockets.delete(upstream)
    }
    client.on("error", drop).on("close", drop)
    upstream.on("error", drop).on("close", drop)
    client.on("data", (chunk) => upstream.write(chunk))
    upstream.on("data", (chunk) => {
      if (delayMs === 0) client.write(chunk)
      else setTimeout(() => client.writable && client.write(chunk), delayMs)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return {
    port: (server.address() as Net.AddressInfo).port,
    get delayMs() {
      return delayMs
    },
    set delayMs(ms: number) {
      delayMs = ms
    },
    cut,
    restore: () => {
      open = true
    },
    close: () =>
      new Promise<void>((resolve) => {
        cut()
        server.close(() => resolve())
      })
  }
}
