/**
 * "Needs attention": the reservations of a workspace held longer than their lifecycle rule allows
 * (its attentionAfterSeconds) and still accepted or wrapping, from this service's Attention
 * resource, oldest first, each with what a supervisor can do about it: complete its task (a Task
 * update, which TaskRouter allows from assigned or wrapping, what every reservation listed holds)
 * or dismiss the flag (the reservation itself stays as it is).
 */
import type { ApiError } from '../api.ts';
import { elapsed } from '../deadlines.ts';
import { KeyedTable, badge, h, replaceChildren, sid, time, type Child, type Column } from '../dom.ts';
import type { AttentionReservation, Task } from '../types.ts';
import { Notices, updateForm } from '../updates.ts';
import { mountLive, type View, type ViewContext } from '../view.ts';

const subject = (what: string, ...parts: Child[]) => h('span', { class: 'subject' }, h('span', { class: 'what' }, what), ' ', h('span', null, parts));

/** What a supervisor's completion says, unless another reason is typed. */
export const SUPERVISOR_REASON = 'completed by a supervisor';

export function attentionView(ctx: ViewContext, workspace: string): View {
  const ws = encodeURIComponent(workspace);
  const notices = new Notices();
  const empty = h('p', { class: 'empty' });
  const heading = h('h1', null, 'Needs attention');
  ctx.title('Needs attention');

  /** After a row's action: the row goes at the next refresh, so the keyboard waits on the heading. */
  const acted = () => {
    heading.setAttribute('tabindex', '-1');
    heading.focus();
    live.poller.now();
  };

  const rowActions = (r: AttentionReservation): HTMLElement => {
    const complete = updateForm({
      id: `complete-${r.reservation_sid}`,
      fixed: { AssignmentStatus: 'completed' },
      fields: [{ name: 'Reason', label: ['Reason', h('span', { class: 'visually-hidden' }, ` for task ${r.task_sid}`)], value: SUPERVISOR_REASON }],
      button: ['Complete', h('span', { class: 'visually-hidden' }, ` task ${r.task_sid}`)],
      buttonClass: 'primary',
      // No If-Match: the list carries no task ETag. The API completes only an assigned or wrapping task.
      submit: (body) =>
        notices.send(
          'task',
          () => ctx.api.request<Task>(`/v1/Workspaces/${ws}/Tasks/${encodeURIComponent(r.task_sid)}`, { method: 'POST', body }),
          ({ body: task }) => `Task ${task.sid} is now ${task.assignment_status} (${task.reason ?? 'no reason'}): ${r.worker_name} no longer holds it.`,
          acted,
        ),
    });
    const dismiss = updateForm({
      id: `dismiss-${r.reservation_sid}`,
      fixed: { Dismissed: 'true' },
      button: ['Dismiss', h('span', { class: 'visually-hidden' }, ` reservation ${r.reservation_sid}`)],
      submit: (body) =>
        notices.send(
          'reservation',
          () =>
            ctx.api.request(`/lifecycle/v1/Workspaces/${ws}/Attention/${encodeURIComponent(r.reservation_sid)}`, {
              method: 'POST',
              body,
            }),
          () => `Reservation ${r.reservation_sid} dismissed: it stays ${r.reservation_status}, and leaves this list.`,
          acted,
        ),
    });
    return h('div', { class: 'row-actions' }, complete, dismiss);
  };

  const columns: Column<AttentionReservation>[] = [
    {
      label: 'Worker, task, reservation',
      // One per line, as in the events view (three SID columns would not fit a screen); at phone width each line is a row of the card.
      className: 'subjects',
      cell: (r) => [
        subject('Worker', `${r.worker_name} `, sid(workspace, r.worker_sid)),
        subject('Task', sid(workspace, r.task_sid)),
        subject('Reservation', sid(workspace, r.reservation_sid, r.task_sid)),
      ],
    },
    { label: 'Status', cell: (r) => badge(r.reservation_status) },
    { label: 'Held for', cell: (r) => [elapsed(Date.parse(r.since)), h('span', { class: 'who hint since' }, 'since ', time(r.since))] },
    { label: 'Rule', cell: (r) => r.lifecycle_rule },
    { label: 'Actions', cell: rowActions, className: 'actions-cell' },
  ];
  const table = new KeyedTable<AttentionReservation>(
    'Reservations needing attention, oldest first',
    columns,
    (r) => r.reservation_sid,
    // Not the time held (the ticker keeps it current): a row is rebuilt, losing a typed reason, only when what it says changed.
    (r) => `${r.reservation_status}|${r.lifecycle_rule}|${r.worker_name}|${r.since}`,
  );

  const live = mountLive(ctx, {
    load: async (signal) => {
      const { body } = await ctx.api.get<{ reservations: AttentionReservation[] }>(`/lifecycle/v1/Workspaces/${ws}/Attention`, signal);
      return body.reservations;
    },
    render: (reservations, first) => {
      if (first) {
        replaceChildren(
          live.content,
          heading,
          h(
            'p',
            { class: 'sub' },
            'Workspace ',
            h('code', { class: 'sid' }, workspace),
            " · reservations held longer than their lifecycle rule's attentionAfterSeconds, still accepted or wrapping, oldest first · refreshed live",
          ),
          notices.outcome,
          notices.refusal,
          empty,
          table.element,
        );
      }
      table.update(reservations, !first);
      table.caption = `${reservations.length} reservation${reservations.length === 1 ? '' : 's'} needing attention, oldest first`;
      table.element.hidden = reservations.length === 0;
      empty.textContent =
        reservations.length === 0
          ? "No reservation needs attention. One is listed here when it is still accepted or wrapping after its lifecycle rule's attentionAfterSeconds."
          : '';
    },
    notFound: (error: ApiError) => [
      h('h1', null, 'Needs attention'),
      h('p', { class: 'notice' }, error.message),
      h('p', null, `Check the workspace SID (${workspace}): WS followed by 32 hexadecimal digits.`),
    ],
  });
  return { stop: live.stop };
}
