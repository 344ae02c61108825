import pbr.version

version_info = pbr.version.VersionInfo('deploysvc')


def version_string():
    try:
        return version_info.version_string()
    except Exception:  # not installed (running from a bare checkout)
        return 'unknown'
