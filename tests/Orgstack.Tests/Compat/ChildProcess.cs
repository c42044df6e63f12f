using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;

namespace Orgstack.Tests.Compat;

/// <summary>
/// Runs a child process (node, npm, csdx) with captured output and a hard timeout; on timeout the whole process tree is
/// killed. The environment is the test's own minus proxy settings (each caller adds what it needs), so a proxy on the
/// machine never intercepts calls to the local server.
/// </summary>
public static class ChildProcess
{
    private static readonly string[] ProxyVariables =
        ["HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "no_proxy", "all_proxy",
         "npm_config_proxy", "npm_config_https_proxy"];

    public sealed record Outcome(int ExitCode, string Stdout, string Stderr, bool TimedOut, TimeSpan Elapsed, string CommandLine)
    {
        /// <summary>The last stdout line that is a JSON object: a scenario's summary.</summary>
        public JsonObject? Summary
        {
            get
            {
                foreach (var line in Stdout.Split('\n').Reverse())
                {
                    var text = line.Trim();
                    if (!text.StartsWith('{')) continue;
                    try { return JsonNode.Parse(text) as JsonObject; } catch (System.Text.Json.JsonException) { }
                }
                return null;
            }
        }

        public string Describe() =>
            $"{CommandLine}\nexit code {ExitCode}{(TimedOut ? " (killed after timeout)" : "")}, {Elapsed.TotalSeconds:F1} s\n" +
            $"--- stdout ---\n{Tail(Stdout)}\n--- stderr ---\n{Tail(Stderr)}";

        private static string Tail(string text) => text.Length <= 12_000 ? text : "…" + text[^12_000..];
    }

    public static async Task<Outcome> RunAsync(string fileName, IEnumerable<string> arguments, string workingDirectory,
        Action<IDictionary<string, string?>>? environment, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        foreach (var name in ProxyVariables) info.Environment.Remove(name);
        info.Environment["NO_COLOR"] = "1";
        info.Environment["FORCE_COLOR"] = "0";
        environment?.Invoke(info.Environment);
        var commandLine = fileName + " " + string.Join(' ', info.ArgumentList);

        var watch = Stopwatch.StartNew();
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start " + fileName);
        process.StandardInput.Close(); // no stdin, as in CI: a prompt fails instead of hanging
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        var timedOut = false;
        using (var cts = new CancellationTokenSource(timeout))
        {
            try
            {
                await process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                timedOut = true;
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                await process.WaitForExitAsync();
            }
        }
        return new Outcome(process.ExitCode, await stdout, await stderr, timedOut, watch.Elapsed, commandLine);
    }
}
