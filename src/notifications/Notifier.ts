/**
 * How features tell users about a change: run in the change's transaction,
 * it stores one notification per recipient and enqueues the jobs that deliver
 * them, so a notification exists if and only if the change committed.
 */
import { Context, Effect, Layer } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { DeliverNotification } from "../domain/Job.ts"
import type { UserId } from "../domain/User.ts"
import { JobQueue } from "../infra/JobQueue.ts"
import type { NotificationType } from "./Api.ts"

export class Notifier extends Context.Service<Notifier>()("maplehustle/notifications/Notifier", {
  make: Effect.gen(function*() {
    const sql = yield* SqlClient
    const jobs = yield* JobQueue

    const notify = Effect.fn("Notifier.notify")(function*(
      recipients: ReadonlyArray<UserId>,
      type: NotificationType,
      content: string
    ) {
      if (recipients.length === 0) return
      const rows = yield* Effect.orDie(sql<{ id: string }>`
        INSERT INTO notifications (user_id, type, content)
        SELECT recipient, ${type}, ${content} FROM unnest(${recipients}::uuid[]) AS recipient
        RETURNING id`)
      yield* jobs.enqueueMany(rows.map((row) => ({ job: new DeliverNotification({ notificationId: row.id }) })))
    })

    return { notify }
  })
}) {
  static readonly layer = Layer.effect(this, this.make)
}
