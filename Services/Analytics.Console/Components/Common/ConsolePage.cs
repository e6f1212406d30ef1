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

    [CascadingParameter]
    protected ConsoleUser User { get; set; } = default!;

    [Inject]
    protected AnalyticsApi Api { get; set; } = default!;

    [Inject]
    protected NavigationManager Navigation { get; set; } = default!;

    /// <summary>What the last action was refused with; null when it succeeded.</summary>
    protected ApiProblemException? Problem { get; set; }

    /// <summary>Cancelled when the screen closes, so its requests stop with it.</summary>
    protected CancellationToken Closing => _closing.Token;

    /// <summary>Runs a call to the API; true if it succeeded. A refusal lands in <see cref="Problem"/>.</summary>
    protected async Task<bool> RunAsync(Func<CancellationToken, Task> call)
    {
        try
        {
            await call(Closing);
            Problem = null;
            return true;
        }
        catch (ApiProblemException problem)
        {
            Problem = problem;
        }
        catch (HttpRequestException unreachable)
        {
            Problem = new ApiProblemException(System.Net.HttpStatusCode.ServiceUnavailable, "The API cannot be reached", unreachable.Message, new Dictionary<string, string[]>());
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

    public virtual void Dispose()
    {
        _closing.Cancel();
        _closing.Dispose();
        GC.SuppressFinalize(this);
    }
}
