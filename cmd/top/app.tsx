/** `aos top`: the layout. State lives in hooks; every piece below is a small prop-driven component. */
import { Box, useApp } from 'ink';
import { useMemo, type ReactElement } from 'react';
import { layoutColumns } from './columns.js';
import { Confirm } from './confirm.js';
import { Footer } from './footer.js';
import { ErrorBanner, Header, HEADER_HEIGHT } from './header.js';
import { LogPane } from './log-pane.js';
import { ProcessTable } from './process-table.js';
import { sampleNow, totalRate } from './reducer.js';
import { visibleRows } from './rows.js';
import type { TopSource } from './source.js';
import { useProcessLog } from './use-process-log.js';
import { useTerminalSize } from './use-terminal-size.js';
import { useTopKeys } from './use-top-keys.js';
import { useApprovals } from './use-approvals.js';
import { ApprovalsPane, approvalsPaneHeight, approvalQuestion } from './approvals-pane.js';
import { useProposals } from './use-proposals.js';
import { ProposalsPane, proposalsPaneHeight, undoQuestion } from './proposals-pane.js';
import { Text } from 'ink';
import { DEFAULT_TIMING, useTopState, type TopTiming } from './use-top-state.js';
import { useSelection, useView } from './use-view.js';
import type { ViewState } from './view.js';
import { HelpPane } from './help-pane.js';
import { DescribePane } from './describe-pane.js';
import { UnitsPane } from './units-pane.js';

export interface AppProps {
  source: TopSource;
  /** Start with ended processes shown. */
  all?: boolean;
  /** False under NO_COLOR: no colour props reach Ink at all. */
  color?: boolean;
  /** Fixed size (tests); otherwise the terminal's, following resizes. */
  width?: number;
  height?: number;
  timing?: Partial<TopTiming>;
  /** Called once on quit: 0, or 2 when the kernel was unreachable. */
  onExit?: (code: number) => void;
}

/** Log lines kept under the table when the table could use the whole screen. */
const MIN_LOG_HEIGHT = 4;

export function splitHeights(body: number, rowCount: number, mode: ViewState['mode']): { table: number; log: number } {
  if (mode === 'logs') return { table: 0, log: body };
  if (mode === 'help' || mode === 'describe' || mode === 'units') return { table: 0, log: 0 };
  const log = Math.max(MIN_LOG_HEIGHT, Math.floor(body / 3));
  const table = Math.max(2, Math.min(rowCount + 1, body - log));
  return { table, log: Math.max(0, body - table) };
}

export function App(props: AppProps): ReactElement {
  const { source, color = true, onExit } = props;
  const timing = { ...DEFAULT_TIMING, ...props.timing };
  const { exit } = useApp();
  const { width, height } = useTerminalSize(props);
  const [view, dispatchView] = useView({ all: props.all ?? false });
  const data = useTopState(source, { all: view.all, timing });
  const { state, now } = data;

  const rows = visibleRows(state, { sort: view.sort, all: view.all, now, tree: view.tree, filter: view.filter });
  const index = useSelection(
    view,
    dispatchView,
    rows.map((r) => r.pid),
  );
  const selected = rows[index] ?? null;
  useProcessLog(source, selected?.pid ?? null, data.dispatch, { generation: data.generation, timing });

  // Ink clears the whole screen on every update of a frame as tall as the terminal, so leave one line.
  const lines = Math.max(8, height - 1);
  const banner = state.error ? 1 : 0;
  const approvals = useApprovals(source, data.generation);
  const proposals = useProposals(source, data.generation, now);
  const pane = approvalsPaneHeight(approvals.list.length, 3) + proposalsPaneHeight(proposals.list.length, 3);
  const body = Math.max(2, lines - HEADER_HEIGHT - banner - pane - 1);
  const split = splitHeights(body, rows.length, view.mode);

  useTopKeys({
    view,
    dispatch: dispatchView,
    rows,
    selected,
    pageSize: Math.max(1, split.table - 1),
    kill: data.kill,
    retry: data.retry,
    approvals,
    proposals,
    quit: () => {
      onExit?.(state.error ? 2 : 0);
      exit();
    },
  });

  const stats = state.stats;
  const uptime = stats ? stats.uptime_s + Math.max(0, now - state.statsAt) / 1000 : 0;
  const log = state.log && state.log.pid === selected?.pid ? state.log : null;
  // Drawn with a sample taken now: pushes stop while nothing happens, the clock does not.
  const trend = useMemo(() => sampleNow(state, Math.max(now, state.statsAt)), [state, now]);
  return (
    <Box flexDirection="column" width={width} height={lines}>
      <Header stats={stats} uptime={uptime} rate={totalRate(state, now)} color={color} trend={trend} width={width} />
      {state.error ? <ErrorBanner message={state.error} color={color} /> : null}
      <ApprovalsPane rows={approvals.list} max={3} width={width} color={color} />
      <ProposalsPane rows={proposals.list} max={3} width={width} now={now} color={color} />
      {view.mode === 'help' ? <HelpPane height={body} color={color} /> : null}
      {view.mode === 'describe' ? <DescribePane source={source} proc={selected} height={body} color={color} /> : null}
      {view.mode === 'units' ? <UnitsPane source={source} height={body} color={color} /> : null}
      {split.table > 0 ? (
        <ProcessTable
          rows={rows}
          columns={layoutColumns(width, { cluster: Boolean(stats?.cluster) })}
          selected={index}
          height={split.table}
          color={color}
          sort={view.sort}
        />
      ) : null}
      {split.log > 0 ? (
        <LogPane
          proc={selected}
          events={log?.events ?? []}
          loading={log?.loading ?? true}
          height={split.log}
          width={width}
          color={color}
          follow={view.mode === 'logs'}
          trend={selected ? trend.procs.get(selected.pid) : undefined}
          writing={log?.writing?.text}
        />
      ) : null}
      {view.confirm ? (
        <Confirm pid={view.confirm.pid} name={view.confirm.name} color={color} />
      ) : approvals.confirming ? (
        <Text bold inverse wrap="truncate">
          {approvalQuestion(approvals.confirming)}
        </Text>
      ) : proposals.confirming ? (
        <Text bold inverse wrap="truncate">
          {undoQuestion(proposals.confirming)}
        </Text>
      ) : (
        <Footer
          mode={view.mode}
          sort={view.sort}
          all={view.all}
          status={view.status ?? approvals.status ?? proposals.status}
          filter={{ text: view.filter, typing: view.typing }}
          position={index + 1}
          count={rows.length}
          color={color}
        />
      )}
    </Box>
  );
}
