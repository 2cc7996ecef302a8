/**
 * A task's reservations: its assignment status and reason (why it was canceled, say), and every
 * reservation with its worker, status and deadline: who was reserved, who accepted, rejected or
 * timed out.
 */
import type { ApiError } from '../api.ts';
import { Deadlines } from '../deadlines.ts';
import { attributesBlock, badge, facts, h, replaceChildren, sid, time } from '../dom.ts';
import { href } from '../routes.ts';
import type { Reservation, Task } from '../types.ts';
import { mountLive, type View, type ViewContext } from '../view.ts';
import { newestFirst, reservationsTable } from './reservations-table.ts';

export function taskView(ctx: ViewContext, workspace: string, taskSid: string): View {
  const ws = encodeURIComponent(workspace);
  const wt = encodeURIComponent(taskSid);
  const deadlines = new Deadlines(ctx.api, workspace, { TaskSid: taskSid });
  const table = reservationsTable(workspace, deadlines, 'task');
  const header = h('div');
  const empty = h('p', { class: 'empty' });
  let headerShows = '';
  ctx.title(`Task ${taskSid}`);

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
      await deadlines.ensure(
        list.value.filter((r) => r.reservation_status === 'pending').map((r) => r.sid),
        signal,
      );
      return { task: task.value.body, reservations: list.value };
    },
    render: ({ task, reservations }, first) => {
      if (first) replaceChildren(live.content, header, h('h2', null, 'Reservations'), empty, table.element);
      // The task's age grows every second: it is not what the header shows.
      const { age: _age, ...shown } = task as Task & { age?: number };
      const taskJson = JSON.stringify(shown);
      if (taskJson !== headerShows) {
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
            ['Events', h('a', { href: href.events(workspace, new URLSearchParams({ TaskSid: task.sid })) }, "This task's events")],
          ]),
          attributesBlock(task.attributes, attributesOpen),
        );
      }
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
