// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {OperatorStaking} from "./OperatorStaking.sol";

/// @title Reward distributor (with operator staking)
/// @notice Each epoch the publisher posts the Merkle root of every operator's cumulative ATH
/// earnings; an operator (or anyone on its behalf) claims with a proof and receives its cumulative
/// amount minus what it has already claimed, so no claim ever pays twice. Leaves are
/// `keccak256(bytes.concat(keccak256(abi.encode(account, cumulativeAmount))))`, as
/// OpenZeppelin merkle-tree (JS) StandardMerkleTree builds them for `["address", "uint256"]`.
/// @dev Rewards are paid from the ATH the contract holds beyond {totalBonded}: funding rewards is a
/// plain transfer to this contract, and slashed stake adds to it.
contract RewardDistributor is OperatorStaking {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;

    /// The latest published epoch (0 before the first).
    uint64 public currentEpoch;
    /// The root of the latest epoch: the only one claims are checked against.
    bytes32 public merkleRoot;
    /// Every published root, by epoch.
    mapping(uint64 epoch => bytes32) public rootOf;

    event RootPublished(uint64 indexed epoch, bytes32 root);
    event Claimed(address indexed account, uint256 amount, uint256 cumulativeAmount);
    event ClaimStaked(address indexed account, uint256 amount, uint256 staked);

    error EpochOutOfOrder(uint64 expected, uint64 epoch);
    error ZeroRoot();
    error InvalidProof();
    error NothingToClaim(address account, uint256 cumulativeAmount, uint256 claimed);
    error RewardPoolShort(uint256 available, uint256 requested);
    error NotAccount();

    constructor(
        IERC20 token_,
        address admin,
        address publisher,
        uint256 minStake_,
        uint64 unbondingPeriod_
    ) OperatorStaking(token_, admin, publisher, minStake_, unbondingPeriod_) {}

    /// @notice Publishes the root of `epoch`, which must follow the current one.
    function publishRoot(uint64 epoch, bytes32 root) external onlyRole(PUBLISHER_ROLE) {
        uint64 expected = currentEpoch + 1;
        if (epoch != expected) revert EpochOutOfOrder(expected, epoch);
        if (root == bytes32(0)) revert ZeroRoot();
        currentEpoch = epoch;
        merkleRoot = root;
        rootOf[epoch] = root;
        emit RootPublished(epoch, root);
    }

    /// @notice Pays `account` its `cumulativeAmount` under the current root minus what it already
    /// claimed. Anyone may submit it; the ATH always goes to `account`.
    /// @return paid the ATH transferred.
    function claim(
        address account,
        uint256 cumulativeAmount,
        bytes32[] calldata proof
    ) external whenNotPaused returns (uint256 paid) {
        paid = _settle(account, cumulativeAmount, proof);
        emit Claimed(account, paid, cumulativeAmount);
        token.safeTransfer(account, paid);
    }

    /// @notice Like {claim}, but adds the ATH to the caller's own stake instead of paying it out.
    /// @return paid the ATH added to the stake.
    function claimAndStake(
        address account,
        uint256 cumulativeAmount,
        bytes32[] calldata proof
    ) external whenNotPaused returns (uint256 paid) {
        if (account != msg.sender) revert NotAccount();
        paid = _settle(account, cumulativeAmount, proof);
        Account storage record = _accounts[account];
        uint128 staked = record.staked + uint128(paid);
        record.staked = staked;
        totalBonded += uint128(paid);
        emit ClaimStaked(account, paid, staked);
    }

    /// @notice Cumulative ATH `account` has claimed so far.
    function claimed(address account) external view returns (uint256) {
        return _accounts[account].claimed;
    }

    /// @dev Checks the proof, records the new cumulative total and returns what it adds. The
    /// pool check runs before anything is paid: stake (totalBonded) is never paid out as reward.
    function _settle(
        address account,
        uint256 cumulativeAmount,
        bytes32[] calldata proof
    ) private returns (uint256 paid) {
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(account, cumulativeAmount))));
        if (!MerkleProof.verifyCalldata(proof, merkleRoot, leaf)) revert InvalidProof();
        Account storage record = _accounts[account];
        uint256 already = record.claimed;
        if (cumulativeAmount <= already) revert NothingToClaim(account, cumulativeAmount, already);
        paid = cumulativeAmount - already;
        uint256 available = token.balanceOf(address(this)) - totalBonded;
        if (paid > available) revert RewardPoolShort(available, paid);
        record.claimed = cumulativeAmount.toUint128();
    }
}
