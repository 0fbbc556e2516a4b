// @effect-diagnostics processEnv:off
/**
 * Runs `src/main.ts` as a child process, the way `npm start` does, with the
 * environment the test chooses (the parent's PATH and HOME only).
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as Net from "node:net"
import * as Path from "node:path"

export interface ServiceProcess {
  readonly child: ChildProcess
  readonly port: number
  readonly output: () => { readonly stdout: string; readonly stderr: string }
  readonly exited: Promise<number | null>
}

export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = Net.createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0))
    })
  })

const listening = /Listening on http:\/\/\S+:(\d+)/

/**
 * Starts the service on a port the OS picks when it binds (`PORT=0`: a port
 * chosen beforehand could be taken by another test's connection meanwhile)
 * and, when it serves HTTP, resolves once it logs that port. A process that
 * exits first resolves too, with port 0, so its exit can be asserted.
 */
export const startService = async (env: Record<string, string>): Promise<ServiceProcess> => {
  const child = spawn(process.execPath, [Path.resolve("src/main.ts")], {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", RATE_LIMITS_ENABLED: "false", PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let stdout = ""
  let stderr = ""
  child.stderr.on("data", (chunk) => stderr += chunk)
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)))
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the service did not listen within 60 s:\n${stdout}\n${stderr}`)), 60_000)
    const done = (port: number) => {
      clearTimeout(timer)
      resolve(port)
    }
    if (env.HTTP_ENABLED === "false") done(0)
    child.stdout.on("data", (chunk) => {
      stdout += chunk
      const bound = listening.exec(stdout)
      if (bound !== null) done(Number(bound[1]))
    })
    void exited.then(() => done(0))
  })
  return { child, port, output: () => ({ stdout, stderr }), exited }
}

/** Polls `url` until it answers `status`, or fails after `timeoutMs`. */
export const awaitStatus = async (url: string, status: number, timeoutMs: number) => {
  const deadline = Date.now() + timeoutMs
  let last = "no answer"
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url)
      if (response.status === status) return response
      last = `status ${response.status}`
    } catch (error) {
      last = String(error)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`${url} did not answer ${status} within ${timeoutMs} ms (${last})`)
}
