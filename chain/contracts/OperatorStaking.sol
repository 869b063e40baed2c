// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

/// @title Operator staking
/// @notice An edge operator stakes ATH to register its edge (its operator address). Stake leaves
/// through an unbonding period; the publisher slashes stake, bonded or unbonding, for proven
/// downtime or fraud and names the evidence by its hash. Slashed ATH stays in the contract and
/// funds rewards.
/// @dev Abstract: {RewardDistributor} is the deployed contract. Staking and rewards share one
/// contract so that an operator's claimed reward total lives in the same storage slot as its
/// stake: a staked operator's claim then rewrites a slot that is already non-zero (2,900 gas)
/// instead of filling a fresh one (20,000 gas).
abstract contract OperatorStaking is AccessControl, Pausable {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;

    /// Publishes reward roots and slashes operators (the broker's key).
    bytes32 public constant PUBLISHER_ROLE = keccak256("PUBLISHER_ROLE");
    /// Pauses and unpauses claims and stake movements.
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");

    /// One slot per operator: its stake and the cumulative rewards it has claimed.
    struct Account {
        uint128 staked;
        uint128 claimed;
    }

    struct Unbonding {
        uint128 amount;
        uint64 releaseAt;
    }

    IERC20 public immutable token;
    /// The stake an operator needs to count as registered.
    uint256 public immutable minStake;
    /// Seconds between {unbond} and the earliest {withdraw}.
    uint64 public immutable unbondingPeriod;

    /// ATH owed back to operators (staked plus unbonding); rewards may only pay out what the
    /// contract holds beyond this. Declared first so it shares Pausable's slot (`_paused`):
    /// a claim reads both with one cold SLOAD.
    uint128 public totalBonded;

    mapping(address operator => Account) internal _accounts;
    mapping(address operator => Unbonding) internal _unbonding;

    event Staked(address indexed operator, uint256 amount, uint256 staked);
    event UnbondingStarted(address indexed operator, uint256 amount, uint256 unbondingTotal, uint64 releaseAt);
    event Withdrawn(address indexed operator, uint256 amount);
    event Slashed(address indexed operator, uint256 amount, bytes32 indexed evidenceHash);

    error ZeroAddress();
    error ZeroAmount();
    error InsufficientStake(uint256 requested, uint256 staked);
    error NothingUnbonding();
    error StillUnbonding(uint64 releaseAt);
    error NothingToSlash(address operator);

    constructor(IERC20 token_, address admin, address publisher, uint256 minStake_, uint64 unbondingPeriod_) {
        if (address(token_) == address(0) || admin == address(0) || publisher == address(0)) revert ZeroAddress();
        if (minStake_ == 0) revert ZeroAmount();
        token = token_;
        minStake = minStake_;
        unbondingPeriod = unbondingPeriod_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(PAUSER_ROLE, admin);
        _grantRole(PUBLISHER_ROLE, publisher);
    }

    /// @notice Adds `amount` ATH (approved beforehand) to the caller's stake.
    function stake(uint256 amount) external whenNotPaused {
        if (amount == 0) revert ZeroAmount();
        Account storage account = _accounts[msg.sender];
        uint128 staked = account.staked + amount.toUint128();
        account.staked = staked;
        totalBonded += uint128(amount);
        emit Staked(msg.sender, amount, staked);
        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Moves `amount` of the caller's stake into unbonding. Unbonding more restarts the clock
    /// for everything unbonding.
    function unbond(uint256 amount) external whenNotPaused {
        if (amount == 0) revert ZeroAmount();
        Account storage account = _accounts[msg.sender];
        if (amount > account.staked) revert InsufficientStake(amount, account.staked);
        account.staked -= uint128(amount);
        Unbonding storage pending = _unbonding[msg.sender];
        uint128 total = pending.amount + uint128(amount);
        uint64 releaseAt = uint64(block.timestamp) + unbondingPeriod;
        pending.amount = total;
        pending.releaseAt = releaseAt;
        emit UnbondingStarted(msg.sender, amount, total, releaseAt);
    }

    /// @notice Pays the caller everything it has unbonding once the unbonding period is over.
    function withdraw() external whenNotPaused {
        Unbonding memory pending = _unbonding[msg.sender];
        if (pending.amount == 0) revert NothingUnbonding();
        if (block.timestamp < pending.releaseAt) revert StillUnbonding(pending.releaseAt);
        delete _unbonding[msg.sender];
        totalBonded -= pending.amount;
        emit Withdrawn(msg.sender, pending.amount);
        token.safeTransfer(msg.sender, pending.amount);
    }

    /// @notice Takes up to `amount` from `operator`'s stake, then from what it has unbonding, for the
    /// downtime or fraud that `evidenceHash` names (the hash of the evidence the broker keeps).
    /// @return slashed what was taken (less than `amount` when the operator holds less).
    function slash(
        address operator,
        uint256 amount,
        bytes32 evidenceHash
    ) external onlyRole(PUBLISHER_ROLE) returns (uint256 slashed) {
        if (amount == 0) revert ZeroAmount();
        Account storage account = _accounts[operator];
        uint256 fromStake = amount < account.staked ? amount : account.staked;
        account.staked -= uint128(fromStake);
        Unbonding storage pending = _unbonding[operator];
        uint256 rest = amount - fromStake;
        uint256 fromUnbonding = rest < pending.amount ? rest : pending.amount;
        pending.amount -= uint128(fromUnbonding);
        slashed = fromStake + fromUnbonding;
        if (slashed == 0) revert NothingToSlash(operator);
        totalBonded -= uint128(slashed);
        emit Slashed(operator, slashed, evidenceHash);
    }

    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }

    /// @notice Whether `operator` stakes at least {minStake}, i.e. may serve players.
    function isRegistered(address operator) external view returns (bool) {
        return _accounts[operator].staked >= minStake;
    }

    function stakeOf(
        address operator
    ) external view returns (uint256 staked, uint256 unbonding, uint64 releaseAt) {
        Unbonding memory pending = _unbonding[operator];
        return (_accounts[operator].staked, pending.amount, pending.releaseAt);
    }
}
