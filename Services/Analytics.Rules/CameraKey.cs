namespace Analytics.Rules;

/// <summary>How rule state names a camera outside the rules: cameras of different organizations may share an id.</summary>
public static class CameraKey
{
    public static string Of(string orgId, string cameraId) => orgId + "/" + cameraId;
}
