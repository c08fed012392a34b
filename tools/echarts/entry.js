// The ECharts parts Shanzhi's desk pages use: a line (campaign progress curve) and a bar chart
// (case indicators), on a grid with a tooltip, drawn as SVG. Exposed as window.echarts.
import * as echarts from "echarts/core";
import { BarChart, LineChart } from "echarts/charts";
import { GridComponent, TooltipComponent } from "echarts/components";
import { SVGRenderer } from "echarts/renderers";

echarts.use([LineChart, BarChart, GridComponent, TooltipComponent, SVGRenderer]);
window.echarts = echarts;
