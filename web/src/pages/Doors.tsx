// Doors.tsx: the doors and their settings, one row each.
import { Page } from '../lib/api';
import { Empty, ErrorBox, Loading, Table, useGet } from '../lib/ui';

interface Door {
  id: number;
  name: string;
  to_area_id: number | null;
  mode: string;
  unlock_ms: number;
  held_open_s: number;
  fail: string;
}

export function Doors() {
  const [doors, reload] = useGet<Page<Door>>('/api/v1/doors?limit=1000');
  return (
    <section aria-labelledby="doors-title">
      <h1 id="doors-title">Doors</h1>
      {doors.state === 'loading' && <Loading what="doors" />}
      {doors.state === 'error' && <ErrorBox error={doors.error} retry={reload} />}
      {doors.state === 'ok' &&
        (doors.data.items.length === 0 ? (
          <Empty>No doors yet. An administrator adds them (gatehouse door add, or POST /api/v1/doors).</Empty>
        ) : (
          <Table
            caption={`${doors.data.items.length} doors`}
            rows={doors.data.items}
            rowKey={(d) => d.id}
            columns={[
              { title: 'Name', cell: (d) => d.name },
              { title: 'Into area', cell: (d) => (d.to_area_id === null ? '—' : `#${d.to_area_id}`) },
              { title: 'Mode', cell: (d) => d.mode },
              { title: 'Unlock', cell: (d) => `${d.unlock_ms / 1000} s` },
              { title: 'Held open after', cell: (d) => `${d.held_open_s} s` },
              { title: 'On power loss', cell: (d) => d.fail },
            ]}
          />
        ))}
    </section>
  );
}
