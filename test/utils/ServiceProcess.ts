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

export const startService = async (env: Record<string, string>): Promise<ServiceProcess> => {
  const port = Number(env.PORT ?? await freePort())
  const child = spawn(process.execPath, [Path.resolve("src/main.ts")], {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", RATE_LIMITS_ENABLED: "false", ...env, PORT: String(port) },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let stdout = ""
  let stderr = ""
  child.stdout.on("data", (chunk) => stdout += chunk)
  child.stderr.on("data", (chunk) => stderr += chunk)
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)))
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
