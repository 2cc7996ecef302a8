/** The Task list's order: its page keys, which sort the tasks and carry a page's place. */
import { describe, expect, it } from 'vitest';
import { readTaskListQuery, taskListKey } from '#lib/domain/task-list-query.ts';

const task = (taskSid: string, createdAt: number, priority = 0) => ({ taskSid, createdAt, priority });
const order = (ordering: string, tasks: readonly ReturnType<typeof task>[]) => {
  const { ordering: fields } = readTaskListQuery(new Map([['Ordering', [ordering]]]));
  return tasks
    .map((t) => ({ sid: t.taskSid, key: taskListKey(fields, t) }))
    .sort((a, b) => (a.key < b.key ? -1 : 1))
    .map((t) => t.sid);
};

describe('the Task list order', () => {
  // Created in the same second (all a task's creation date tells), and one a second later.
  const second = 1_796_601_600_000;
  const tasks = [
    task(`WT${'0'.repeat(31)}9`, second),
    task(`WT${'a'.repeat(32)}`, second),
    task(`WT${'3'.repeat(32)}`, second),
    task(`WT${'1'.repeat(32)}`, second + 1000),
  ];

  it('lists DateCreated:desc as exactly the reverse of DateCreated:asc, tasks of one second included', () => {
    const ascending = order('DateCreated:asc', tasks);
    expect(ascending).toEqual([`WT${'0'.repeat(31)}9`, `WT${'3'.repeat(32)}`, `WT${'a'.repeat(32)}`, `WT${'1'.repeat(32)}`]);
    expect(order('DateCreated:desc', tasks)).toEqual([...ascending].reverse());
  });

  it('breaks the last field’s ties in its direction', () => {
    const equal = tasks.map((t) => ({ ...t, priority: 1 }));
    expect(order('Priority:asc,DateCreated:desc', equal)).toEqual(order('DateCreated:desc', tasks));
    expect(order('DateCreated:asc,Priority:desc', equal)).toEqual([...order('DateCreated:desc,Priority:asc', equal)].reverse());
  });
});
