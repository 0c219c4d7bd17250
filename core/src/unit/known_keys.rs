//! The settings systemd 252 knows, per section (generated from `systemd --dump-configuration-items`).
//! Space-separated, so the table stays compact; shared groups are listed once.

const EXEC: &str = "AmbientCapabilities AppArmorProfile BindPaths BindReadOnlyPaths CPUAffinity \
     CPUSchedulingPolicy CPUSchedulingPriority CPUSchedulingResetOnFork CacheDirectory \
     CacheDirectoryMode CapabilityBoundingSet ConfigurationDirectory \
     ConfigurationDirectoryMode CoredumpFilter DynamicUser Environment EnvironmentFile \
     ExecPaths ExecSearchPath ExtensionDirectories ExtensionImages Group IOSchedulingClass \
     IOSchedulingPriority IPCNamespacePath IgnoreSIGPIPE InaccessibleDirectories \
     InaccessiblePaths KeyringMode LimitAS LimitCORE LimitCPU LimitDATA LimitFSIZE LimitLOCKS \
     LimitMEMLOCK LimitMSGQUEUE LimitNICE LimitNOFILE LimitNPROC LimitRSS LimitRTPRIO \
     LimitRTTIME LimitSIGPENDING LimitSTACK LoadCredential LoadCredentialEncrypted \
     LockPersonality LogExtraFields LogLevelMax LogNamespace LogRateLimitBurst \
     LogRateLimitIntervalSec LogsDirectory LogsDirectoryMode MemoryDenyWriteExecute \
     MountAPIVFS MountFlags MountImages NUMAMask NUMAPolicy NetworkNamespacePath Nice \
     NoExecPaths NoNewPrivileges OOMScoreAdjust PAMName PassEnvironment Personality \
     PrivateDevices PrivateIPC PrivateMounts PrivateNetwork PrivateTmp PrivateUsers \
     ProcSubset ProtectClock ProtectControlGroups ProtectHome ProtectHostname \
     ProtectKernelLogs ProtectKernelModules ProtectKernelTunables ProtectProc ProtectSystem \
     ReadOnlyDirectories ReadOnlyPaths ReadWriteDirectories ReadWritePaths RemoveIPC \
     RestrictAddressFamilies RestrictFileSystems RestrictNamespaces RestrictRealtime \
     RestrictSUIDSGID RootDirectory RootHash RootHashSignature RootImage RootImageOptions \
     RootVerity RuntimeDirectory RuntimeDirectoryMode RuntimeDirectoryPreserve SELinuxContext \
     SecureBits SetCredential SetCredentialEncrypted SmackProcessLabel StandardError \
     StandardInput StandardInputData StandardInputText StandardOutput StateDirectory \
     StateDirectoryMode SupplementaryGroups SyslogFacility SyslogIdentifier SyslogLevel \
     SyslogLevelPrefix SystemCallArchitectures SystemCallErrorNumber SystemCallFilter \
     SystemCallLog TTYColumns TTYPath TTYReset TTYRows TTYVHangup TTYVTDisallocate \
     TemporaryFileSystem TimeoutCleanSec TimeoutSec TimerSlackNSec UMask UnsetEnvironment \
     User UtmpIdentifier UtmpMode WorkingDirectory";

const KILL: &str = "FinalKillSignal KillMode KillSignal OOMPolicy RestartKillSignal RuntimeMaxSec \
     RuntimeRandomizedExtraSec SendSIGHUP SendSIGKILL TimeoutStopSec WatchdogSignal";

const CGROUP: &str =
    "AllowedCPUs AllowedMemoryNodes BPFProgram BlockIOAccounting BlockIODeviceWeight \
     BlockIOReadBandwidth BlockIOWeight BlockIOWriteBandwidth CPUAccounting CPUQuota \
     CPUQuotaPeriodSec CPUShares CPUWeight DefaultMemoryLow DefaultMemoryMin Delegate \
     DeviceAllow DevicePolicy DisableControllers IOAccounting IODeviceLatencyTargetSec \
     IODeviceWeight IOReadBandwidthMax IOReadIOPSMax IOWeight IOWriteBandwidthMax \
     IOWriteIOPSMax IPAccounting IPAddressAllow IPAddressDeny IPEgressFilterPath \
     IPIngressFilterPath ManagedOOMMemoryPressure ManagedOOMMemoryPressureLimit \
     ManagedOOMPreference ManagedOOMSwap MemoryAccounting MemoryHigh MemoryLimit MemoryLow \
     MemoryMax MemoryMin MemorySwapMax RestrictNetworkInterfaces Slice SocketBindAllow \
     SocketBindDeny StartupAllowedCPUs StartupAllowedMemoryNodes StartupBlockIOWeight \
     StartupCPUShares StartupCPUWeight StartupIOWeight TasksAccounting TasksMax";

const UNIT_OWN: &str =
    "After AllowIsolate AssertACPower AssertArchitecture AssertCPUFeature AssertCPUPressure \
     AssertCPUs AssertCapability AssertControlGroupController AssertCredential \
     AssertDirectoryNotEmpty AssertEnvironment AssertFileIsExecutable AssertFileNotEmpty \
     AssertFirstBoot AssertGroup AssertHost AssertIOPressure AssertKernelCommandLine \
     AssertKernelVersion AssertMemory AssertMemoryPressure AssertNeedsUpdate AssertOSRelease \
     AssertPathExists AssertPathExistsGlob AssertPathIsDirectory AssertPathIsEncrypted \
     AssertPathIsMountPoint AssertPathIsReadWrite AssertPathIsSymbolicLink AssertSecurity \
     AssertUser AssertVirtualization Before BindTo BindsTo CollectMode ConditionACPower \
     ConditionArchitecture ConditionCPUFeature ConditionCPUPressure ConditionCPUs \
     ConditionCapability ConditionControlGroupController ConditionCredential \
     ConditionDirectoryNotEmpty ConditionEnvironment ConditionFileIsExecutable \
     ConditionFileNotEmpty ConditionFirmware ConditionFirstBoot ConditionGroup ConditionHost \
     ConditionIOPressure ConditionKernelCommandLine ConditionKernelVersion ConditionMemory \
     ConditionMemoryPressure ConditionNeedsUpdate ConditionOSRelease ConditionPathExists \
     ConditionPathExistsGlob ConditionPathIsDirectory ConditionPathIsEncrypted \
     ConditionPathIsMountPoint ConditionPathIsReadWrite ConditionPathIsSymbolicLink \
     ConditionSecurity ConditionUser ConditionVirtualization Conflicts DefaultDependencies \
     Description Documentation FailureAction FailureActionExitStatus IgnoreOnIsolate \
     JobRunningTimeoutSec JobTimeoutAction JobTimeoutRebootArgument JobTimeoutSec \
     JoinsNamespaceOf OnFailure OnFailureIsolate OnFailureJobMode OnSuccess OnSuccessJobMode \
     PartOf PropagateReloadFrom PropagateReloadTo PropagatesReloadTo PropagatesStopTo \
     RebootArgument RefuseManualStart RefuseManualStop ReloadPropagatedFrom Requires \
     RequiresMountsFor RequiresOverridable Requisite RequisiteOverridable SourcePath \
     StartLimitAction StartLimitBurst StartLimitInterval StartLimitIntervalSec \
     StopPropagatedFrom StopWhenUnneeded SuccessAction SuccessActionExitStatus Upholds Wants";

const INSTALL_OWN: &str = "Alias Also DefaultInstance RequiredBy WantedBy";

const SERVICE_OWN: &str =
    "BusName ExecCondition ExecReload ExecStart ExecStartPost ExecStartPre ExecStop \
     ExecStopPost ExitType FailureAction FileDescriptorStoreMax GuessMainPID NonBlocking \
     NotifyAccess PIDFile PermissionsStartOnly RebootArgument RemainAfterExit Restart \
     RestartForceExitStatus RestartPreventExitStatus RestartSec RootDirectoryStartOnly \
     Sockets StartLimitAction StartLimitBurst StartLimitInterval SuccessExitStatus \
     TimeoutAbortSec TimeoutStartFailureMode TimeoutStartSec TimeoutStopFailureMode Type \
     USBFunctionDescriptors USBFunctionStrings WatchdogSec";

const SOCKET_OWN: &str =
    "Accept Backlog BindIPv6Only BindToDevice Broadcast DeferAcceptSec DirectoryMode \
     ExecStartPost ExecStartPre ExecStopPost ExecStopPre FileDescriptorName FinalKillSignal \
     FlushPending FreeBind IPTOS IPTTL KeepAlive KeepAliveIntervalSec KeepAliveProbes \
     KeepAliveTimeSec KillMode KillSignal ListenDatagram ListenFIFO ListenMessageQueue \
     ListenNetlink ListenSequentialPacket ListenSpecial ListenStream ListenUSBFunction Mark \
     MaxConnections MaxConnectionsPerSource MessageQueueMaxMessages MessageQueueMessageSize \
     NoDelay PassCredentials PassPacketInfo PassSecurity PipeSize Priority ReceiveBuffer \
     RemoveOnStop RestartKillSignal ReusePort SELinuxContextFromNet SendBuffer SendSIGHUP \
     SendSIGKILL Service SmackLabel SmackLabelIPIn SmackLabelIPOut SocketGroup SocketMode \
     SocketProtocol SocketUser Symlinks TCPCongestion Timestamping Transparent \
     TriggerLimitBurst TriggerLimitIntervalSec WatchdogSignal Writable";

const MOUNT_OWN: &str =
    "DirectoryMode FinalKillSignal ForceUnmount KillMode KillSignal LazyUnmount Options \
     ReadWriteOnly RestartKillSignal SendSIGHUP SendSIGKILL SloppyOptions Type WatchdogSignal \
     What Where";

const SWAP_OWN: &str =
    "FinalKillSignal KillMode KillSignal Options Priority RestartKillSignal SendSIGHUP \
     SendSIGKILL WatchdogSignal What";

const AUTOMOUNT_OWN: &str = "DirectoryMode ExtraOptions TimeoutIdleSec Where";

const TIMER_OWN: &str =
    "AccuracySec FixedRandomDelay OnActiveSec OnBootSec OnCalendar OnClockChange OnStartupSec \
     OnTimezoneChange OnUnitActiveSec OnUnitInactiveSec Persistent RandomizedDelaySec \
     RemainAfterElapse Unit WakeSystem";

const PATH_OWN: &str =
    "DirectoryMode DirectoryNotEmpty MakeDirectory PathChanged PathExists PathExistsGlob \
     PathModified TriggerLimitBurst TriggerLimitIntervalSec Unit";

const SLICE_OWN: &str = "";

const SCOPE_OWN: &str = "";

/// (section, the key groups it accepts).
pub const SECTIONS: &[(&str, &[&str])] = &[
    ("Unit", &[UNIT_OWN]),
    ("Install", &[INSTALL_OWN]),
    ("Service", &[SERVICE_OWN, EXEC, KILL, CGROUP]),
    ("Socket", &[SOCKET_OWN, EXEC, CGROUP]),
    ("Mount", &[MOUNT_OWN, EXEC, CGROUP]),
    ("Swap", &[SWAP_OWN, EXEC, CGROUP]),
    ("Automount", &[AUTOMOUNT_OWN]),
    ("Timer", &[TIMER_OWN]),
    ("Path", &[PATH_OWN]),
    ("Slice", &[SLICE_OWN, CGROUP]),
    ("Scope", &[SCOPE_OWN, KILL, CGROUP]),
];
