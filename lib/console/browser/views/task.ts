/**
 * A task's reservations: its assignment status and reason (why it was canceled, say), and every
 * reservation with its worker, status and deadline (a wrapping one's wrap-up end): who was
 * reserved, who accepted, rejected or timed out. Its updates as forms, each where TaskRouter allows it: cancel while pending or
 * reserved, wrap up while assigned, complete while assigned or wrapping; each sent with the ETag
 * of the task the view shows as If-Match.
 */
import type { ApiError, ApiResult } from '../api.ts';
import { DATA } from '../data.ts';
import { Deadlines } from '../deadlines.ts';
import { attributesBlock, badge, facts, h, replaceChildren, sid, time } from '../dom.ts';
import { WIDEST_MINUTES, href } from '../routes.ts';
import type { Reservation, Task } from '../types.ts';
import { Notices, asked, updateForm } from '../updates.ts';
import { mountLive, type View, type ViewContext } from '../view.ts';
import { WrapUpEnds } from '../wrap-ups.ts';
import { newestFirst, reservationsTable } from './reservations-table.ts';

/** TaskRouter's rule for each Task update: the assignment statuses it is allowed from. */
const ALLOWED_FROM: Readonly<Record<'canceled' | 'wrapping' | 'completed', readonly string[]>> = {
  canceled: ['pending', 'reserved'],
  wrapping: ['assigned'],
  completed: ['assigned', 'wrapping'],
};

export function taskView(ctx: ViewContext, workspace: string, taskSid: string): View {
  const ws = encodeURIComponent(workspace);
  const wt = encodeURIComponent(taskSid);
  const deadlines = new Deadlines(ctx.api, workspace, { TaskSid: taskSid });
  const wrapUps = new WrapUpEnds(ctx.api, workspace);
  const table = reservationsTable(workspace, deadlines, wrapUps, 'task');
  const header = h('div');
  const empty = h('p', { class: 'empty' });
  let headerShows = '';
  let current: { task: Task; etag: string | null } | undefined;
  ctx.title(`Task ${taskSid}`);

  const notices = new Notices();
  const version = h('span');
  const final = h('p', { class: 'empty' });
  const post = (body: URLSearchParams) =>
    notices.send(
      'task',
      () =>
        ctx.api.request<Task>(`/v1/Workspaces/${ws}/Tasks/${wt}`, {
          method: 'POST',
          body,
          ...(current?.etag !== null && current?.etag !== undefined && { ifMatch: current.etag }),
        }),
      ({ body: task, etag }) => {
        current = { task, etag };
        showTask();
        return `${asked(body, 'AssignmentStatus')}: the task is now ${task.assignment_status}.`;
      },
      () => live.poller.now(),
    );
  const reason = {
    name: 'Reason',
    label: 'Reason',
    hint: `required; at most ${DATA.maxReasonLength.toLocaleString('en-US')} characters`,
  };
  const forms = {
    wrapping: updateForm({ id: 'task-wrapping', fixed: { AssignmentStatus: 'wrapping' }, button: 'Wrap up task', submit: post }),
    completed: updateForm({
      id: 'task-completed',
      fixed: { AssignmentStatus: 'completed' },
      fields: [reason],
      button: 'Complete task',
      buttonClass: 'primary',
      submit: post,
    }),
    canceled: updateForm({
      id: 'task-canceled',
      fixed: { AssignmentStatus: 'canceled' },
      fields: [reason],
      button: 'Cancel task',
      buttonClass: 'danger',
      submit: post,
    }),
  };
  const actions = h(
    'section',
    { class: 'actions', 'aria-labelledby': 'task-actions-heading' },
    h('h2', { id: 'task-actions-heading' }, 'Actions'),
    h(
      'p',
      { class: 'hint' },
      'Each update is sent with If-Match: ',
      version,
      ' (the version of the task this view shows): if the task changed since, the API refuses it and the view refreshes.',
    ),
    notices.outcome,
    notices.refusal,
    final,
    h('div', { class: 'status-actions' }, forms.wrapping, forms.completed, forms.canceled),
  );

  /** The header when the task changed, and the forms its assignment status allows. */
  const showTask = () => {
    if (!current) return;
    const { task, etag } = current;
    version.textContent = etag ?? 'none';
    let any = false;
    for (const [status, form] of Object.entries(forms) as [keyof typeof forms, HTMLFormElement][]) {
      form.hidden = !ALLOWED_FROM[status].includes(task.assignment_status);
      any ||= !form.hidden;
    }
    final.textContent = any ? '' : `No update applies: a ${task.assignment_status} task is final.`;
    // The task's age grows every second: it is not what the header shows.
    const { age: _age, ...shown } = task as Task & { age?: number };
    const taskJson = JSON.stringify(shown);
    if (taskJson === headerShows) return;
    headerShows = taskJson;
    const attributesOpen = header.querySelector('details')?.open ?? false;
    replaceChildren(
      header,
      h('h1', null, 'Task ', h('span', { class: 'sid' }, task.sid)),
      facts([
        ['Assignment status', badge(task.assignment_status)],
        ['Reason', task.reason ?? '—'],
        ['Priority', String(task.priority)],
        ['Task queue', task.task_queue_sid ? h('code', { class: 'sid' }, task.task_queue_sid) : '—'],
        ['Workflow', task.workflow_sid ? h('code', { class: 'sid' }, task.workflow_sid) : '—'],
        ['Created', time(task.date_created)],
        ['Updated', time(task.date_updated)],
        ['Events', h('a', { href: href.events(workspace, new URLSearchParams({ TaskSid: task.sid, Minutes: String(WIDEST_MINUTES) })) }, "This task's events")],
      ]),
      attributesBlock(task.attributes, attributesOpen),
    );
  };

  const live = mountLive(ctx, {
    load: async (signal) => {
      const reads = Promise.allSettled([
        ctx.api.get<Task>(`/v1/Workspaces/${ws}/Tasks/${wt}`, signal),
        ctx.api.list<Reservation>(`/v1/Workspaces/${ws}/Tasks/${wt}/Reservations?PageSize=1000`, 'reservations', signal, 5),
      ]);
      deadlines.begin(signal);
      const [task, list] = await reads;
      if (task.status === 'rejected') throw task.reason;
      if (list.status === 'rejected') throw list.reason;
      await Promise.all([
        deadlines.ensure(
          list.value.filter((r) => r.reservation_status === 'pending').map((r) => r.sid),
          signal,
        ),
        wrapUps.ensure(list.value, signal),
      ]);
      return { task: task.value, reservations: list.value };
    },
    render: ({ task, reservations }: { task: ApiResult<Task>; reservations: Reservation[] }, first) => {
      if (first) replaceChildren(live.content, header, actions, h('h2', null, 'Reservations'), empty, table.element);
      current = { task: task.body, etag: task.etag };
      showTask();
      const ordered = newestFirst(reservations);
      table.update(ordered, !first);
      table.caption = `The task's ${reservations.length} reservation${reservations.length === 1 ? '' : 's'}, newest first`;
      table.element.hidden = reservations.length === 0;
      empty.textContent = reservations.length === 0 ? 'This task has no reservations.' : '';
    },
    notFound: (error: ApiError) => [
      h('h1', null, 'Task ', h('span', { class: 'sid' }, taskSid)),
      h('p', { class: 'notice' }, error.message),
      h(
        'p',
        null,
        'A task is known here once an assignment callback has reserved a worker for it. Check the SID and the workspace (',
        sid(workspace, workspace),
        '); this view keeps looking.',
      ),
    ],
  });
  return { stop: live.stop };
}
