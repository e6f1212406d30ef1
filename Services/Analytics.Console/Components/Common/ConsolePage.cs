using Analytics.Console.Api;
using Analytics.Console.Sessions;
using Microsoft.AspNetCore.Components;

namespace Analytics.Console.Components.Common;

/// <summary>
/// What every screen shares: the signed-in person, the API as them, and one way to report what
/// the API refused (shown in a <see cref="ProblemBar"/>) or that the session ended (back to sign-in).
/// </summary>
public abstract class ConsolePage : ComponentBase, IDisposable
{
    private readonly CancellationTokenSource _closing = new();
    private readonly CancellationToken _closingToken;

    protected ConsolePage() => _closingToken = _closing.Token;

    [CascadingParameter]
    protected ConsoleUser User { get; set; } = default!;

    [Inject]
    protected AnalyticsApi Api { get; set; } = default!;

    [Inject]
    protected NavigationManager Navigation { get; set; } = default!;

    /// <summary>What the last action was refused with; null when it succeeded.</summary>
    protected ApiProblemException? Problem { get; set; }

    /// <summary>Cancelled when the screen closes, so its requests stop with it.</summary>
    protected CancellationToken Closing => _closingToken;

    /// <summary>
    /// Runs a call to the API; true if it succeeded. A refusal, or the API out of reach, lands in
    /// <see cref="Problem"/>; a success clears it unless <paramref name="keepProblem"/> (calls made
    /// side by side, where one's success must not hide another's failure).
    /// </summary>
    protected async Task<bool> RunAsync(Func<CancellationToken, Task> call, bool keepProblem = false)
    {
        try
        {
            await call(Closing);
            if (!keepProblem)
            {
                Problem = null;
            }
            return true;
        }
        catch (ApiProblemException problem)
        {
            Problem = problem;
        }
        catch (Exception unreachable) when (unreachable is HttpRequestException or Polly.ExecutionRejectedException or System.Text.Json.JsonException
            || (unreachable is OperationCanceledException && !Closing.IsCancellationRequested))
        {
            // Down, timed out, its circuit open, or an answer that is not the API's (a proxy's page):
            // said on the page, which stays live.
            Problem = ApiProblemException.Unreachable(unreachable.Message);
        }
        catch (SessionEndedException)
        {
            Navigation.NavigateTo(SignInEndpoints.SignInPath, forceLoad: true);
        }
        catch (OperationCanceledException) when (Closing.IsCancellationRequested)
        {
        }
        return false;
    }

    // Cancelled, not disposed: a call still finishing reads Closing after the screen has gone.
    public virtual void Dispose()
    {
        _closing.Cancel();
        GC.SuppressFinalize(this);
    }
}
